"""Every setting of the bot's processes, typed, from the environment (.env.example lists them).

`Settings.from_env()` is the one place that reads them; a value that does not parse is logged
and replaced by its default (a typo must never switch a limit off). The knowledge base's own
DATABASE_URL stays with it (policies_kb/db.py), the WeChat channel's group with it
(bot/channels/wechat_settings.py).

Runtime profile and the secrets each profile needs:

One setting picks the profile: `ZCT_ENV=production` (anything else, or nothing, is development).
Development is the embedded default: loopback only, REST open for `make shell`. Production is
what faces a network: the Rasa HTTP API needs a token or JWT, the action server a token, the
REST channel a token of its own (or it is off), and no secret may be empty or a placeholder —
the server refuses to start rather than run half-protected.
"""
from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from typing import FrozenSet, List, Mapping, Optional, Sequence

logger = logging.getLogger(__name__)

# Values people leave in config files; a secret that is one of these protects nothing.
_PLACEHOLDERS = {"changeme", "change-me", "change_me", "secret", "password", "token", "test", "example",
                 "placeholder", "xxx", "xxxx", "todo", "none", "null", "default", "your-token", "your_token"}
MIN_SECRET_CHARS = 16


def secret_problem(value: Optional[str]) -> Optional[str]:
    """Why `value` is not a usable secret, or None when it is."""
    if not value or not value.strip():
        return "未设置"
    lowered = value.strip().lower()
    if lowered in _PLACEHOLDERS or lowered.startswith(("your", "<", "${")) or set(lowered) <= {"x", "*", "0", "-"}:
        return "是占位符"
    if len(value.strip()) < MIN_SECRET_CHARS:
        return f"太短（至少 {MIN_SECRET_CHARS} 个字符）"
    return None


def _positive(env: Mapping[str, str], name: str, default, cast=float):
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = cast(raw)
    except ValueError:
        value = 0
    if value <= 0:
        logger.error("%s=%r is not a positive number, using %s", name, raw, default)
        return default
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    return default if not raw else raw in ("1", "true", "yes", "on")


def _origins(raw: str) -> FrozenSet[str]:
    return frozenset(o.strip().rstrip("/") for o in raw.split(",") if o.strip() and o.strip() != "*")


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    rasa_auth_token: str = field(default="", repr=False)
    rasa_jwt_secret: str = field(default="", repr=False)
    action_token: str = field(default="", repr=False)
    rest_token: str = field(default="", repr=False)
    wechat: Mapping[str, str] = field(default_factory=dict, repr=False)
    tracker_db_url: str = ""               # empty: sqlite var/tracker.db (bot/rasa/tracker_store.py)
    max_message_chars: int = 1000          # longer messages get a polite "太长了", no NLU
    action_timeout: float = 5.0            # seconds per action-server call
    handoff_timeout_minutes: float = 30.0  # nobody answered a 转人工 → back to the bot
    handoff_waiting_reply: bool = True     # "人呢" while waiting gets an answer
    console_session_hours: float = 12.0
    console_cookie_secure: bool = False    # Secure cookies even when the request looks like http
    cors_origins: FrozenSet[str] = frozenset()

    @property
    def production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "Settings":
        env = os.environ if env is None else env
        return cls(
            env="production" if (env.get("ZCT_ENV") or "").strip().lower() in ("production", "prod") else "development",
            rasa_auth_token=env.get("RASA_AUTH_TOKEN", ""),
            rasa_jwt_secret=env.get("RASA_JWT_SECRET", ""),
            action_token=env.get("ACTION_SERVER_TOKEN", ""),
            rest_token=env.get("ZCT_REST_TOKEN", ""),
            wechat={k: env.get(k, "") for k in ("WECHAT_TOKEN", "WECHAT_APPID", "WECHAT_SECRET", "WECHAT_AES_KEY")},
            tracker_db_url=(env.get("TRACKER_DB_URL") or "").strip(),
            max_message_chars=_positive(env, "ZCT_MAX_MESSAGE_CHARS", cls.max_message_chars, int),
            action_timeout=_positive(env, "ZCT_ACTION_TIMEOUT", cls.action_timeout),
            handoff_timeout_minutes=_positive(env, "HANDOFF_TIMEOUT_MINUTES", cls.handoff_timeout_minutes),
            handoff_waiting_reply=_flag(env, "HANDOFF_WAITING_REPLY", cls.handoff_waiting_reply),
            console_session_hours=_positive(env, "CONSOLE_SESSION_HOURS", cls.console_session_hours),
            console_cookie_secure=_flag(env, "CONSOLE_COOKIE_SECURE", cls.console_cookie_secure),
            cors_origins=_origins(env.get("ZCT_CORS_ORIGINS") or ""),
        )


def _cli_value(argv: Sequence[str], flag: str) -> str:
    for i, arg in enumerate(argv):
        if arg == flag and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return ""


def production_problems(settings: Settings, argv: Optional[Sequence[str]] = None) -> List[str]:
    """What keeps this Rasa server from starting in production (empty in development)."""
    if not settings.production:
        return []
    argv = list(sys.argv if argv is None else argv)
    problems = []
    if "--enable-api" in argv:
        token = _cli_value(argv, "--auth-token") or _cli_value(argv, "-t")
        jwt = _cli_value(argv, "--jwt-secret") or _cli_value(argv, "--jwt-key")
        if secret_problem(token) and secret_problem(jwt):
            problems.append(f"Rasa HTTP API 已开启（--enable-api），但 --auth-token / --jwt-secret "
                            f"{secret_problem(token)}")
    if "--cors" in argv and "*" in argv[argv.index("--cors") + 1:argv.index("--cors") + 2]:
        problems.append("--cors \"*\" 在生产环境不允许：控制台是同源页面，不需要跨域")
    if secret_problem(settings.action_token):
        problems.append(f"ACTION_SERVER_TOKEN {secret_problem(settings.action_token)}")
    if settings.rest_token and secret_problem(settings.rest_token):
        problems.append(f"ZCT_REST_TOKEN {secret_problem(settings.rest_token)}（不用 REST 通道就不要设置）")
    if any(settings.wechat.values()):
        for name, value in settings.wechat.items():
            why = secret_problem(value) if name != "WECHAT_APPID" else (None if value else "未设置")
            if why:
                problems.append(f"{name} {why}（已配置微信通道，生产环境四项都必须设置，且必须用安全模式）")
    return problems


def refuse_unsafe_production(settings: Optional[Settings] = None, argv: Optional[Sequence[str]] = None) -> None:
    """Stop the process with a readable list when production is configured unsafely."""
    problems = production_problems(settings or Settings.from_env(), argv)
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise SystemExit(f"政策通拒绝以生产模式（ZCT_ENV=production）启动：\n{lines}\n见 README「安全」一节。")
