"""Runtime profile and the secrets each profile needs.

One setting picks the profile: `ZCT_ENV=production` (anything else, or nothing, is development).
Development is the embedded default: loopback only, REST open for `make shell`. Production is
what faces a network: the Rasa HTTP API needs a token or JWT, the action server a token, the
REST channel a token of its own (or it is off), and no secret may be empty or a placeholder —
the server refuses to start rather than run half-protected.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import List, Mapping, Optional, Sequence

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


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    rasa_auth_token: str = field(default="", repr=False)
    rasa_jwt_secret: str = field(default="", repr=False)
    action_token: str = field(default="", repr=False)
    rest_token: str = field(default="", repr=False)
    wechat: Mapping[str, str] = field(default_factory=dict, repr=False)

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


# ---- time zone ---------------------------------------------------------------------------
# One setting, ZCT_TIMEZONE (default Asia/Shanghai): every displayed time and "today" follow it.
# Defined in policies_kb/clock.py so the matcher (which cannot import bot/) uses the same zone.
from policies_kb.clock import DEFAULT_TIMEZONE, local_time, local_today, timezone  # noqa: E402,F401
