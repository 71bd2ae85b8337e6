"""Settings of the WeChat channel, all from the environment (docs/wechat.md)."""
import logging
import os
from dataclasses import dataclass, field
from typing import Mapping, Optional

from bot.channels.wechat_client import DEFAULT_API_BASE
from bot.limits import max_message_chars

logger = logging.getLogger(__name__)

DEFAULT_STATE_DB = "var/wechat_state.sqlite3"


def _env_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError:
        logger.error("wechat: %s=%r is not a number, using %s", name, raw, default)
        return default


def is_production(env: Optional[Mapping[str, str]] = None) -> bool:
    env = os.environ if env is None else env
    return (env.get("ZCT_ENV") or "").strip().lower() == "production"


@dataclass
class WeChatSettings:
    token: str = ""
    appid: str = ""
    secret: str = field(default="", repr=False)
    aes_key: str = field(default="", repr=False)
    api_base: str = DEFAULT_API_BASE
    reply_budget: float = 4.0
    replay_window: float = 300.0  # 0 disables the timestamp check
    max_body: int = 64 * 1024
    dedup_store: str = "sqlite"
    state_db: str = DEFAULT_STATE_DB
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Plaintext POSTs are refused whenever an AES key is configured; this
    # forces the refusal even without one.
    require_aes: bool = False
    max_message_chars: int = 1000
    production: bool = False

    @property
    def aes_required(self) -> bool:
        # A plaintext body is unsigned: with a key configured, accepting it
        # would let a captured signed URL carry any forged message.
        return self.require_aes or bool(self.aes_key)

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "WeChatSettings":
        env = os.environ if env is None else env
        return cls(
            token=env.get("WECHAT_TOKEN", ""),
            appid=env.get("WECHAT_APPID", ""),
            secret=env.get("WECHAT_SECRET", ""),
            aes_key=env.get("WECHAT_AES_KEY", ""),
            api_base=env.get("WECHAT_API_BASE") or DEFAULT_API_BASE,
            reply_budget=_env_float(env, "WECHAT_REPLY_BUDGET", 4.0),
            replay_window=_env_float(env, "WECHAT_REPLAY_WINDOW", 300.0),
            max_body=int(_env_float(env, "WECHAT_MAX_BODY", 64 * 1024)),
            dedup_store=(env.get("WECHAT_DEDUP_STORE") or "sqlite").strip().lower(),
            state_db=env.get("WECHAT_STATE_DB") or DEFAULT_STATE_DB,
            redis_url=env.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
            require_aes=env.get("WECHAT_REQUIRE_AES", "").lower() in ("1", "true", "yes"),
            max_message_chars=max_message_chars(env),
            production=is_production(env),
        )
