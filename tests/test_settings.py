"""The production profile refuses what would leave owners' data open."""
from __future__ import annotations

import pytest

from bot.settings import Settings, production_problems, secret_problem

GOOD = "k3Jv9_qP2xZ7-mW4tR8sY1"


@pytest.mark.parametrize("value, problem", [
    ("", "未设置"), ("   ", "未设置"), ("changeme", "是占位符"), ("your-token-here", "是占位符"),
    ("xxxxxxxxxxxxxxxxxxxx", "是占位符"), ("${RASA_AUTH_TOKEN}", "是占位符"), ("short1", "太短（至少 16 个字符）"),
    (GOOD, None),
])
def test_secret_problem(value, problem):
    assert secret_problem(value) == problem


def prod(**env):
    return Settings.from_env({"ZCT_ENV": "production", **env})


def test_development_needs_nothing():
    assert production_problems(Settings.from_env({}), ["rasa", "run", "--enable-api", "--cors", "*"]) == []


def test_production_wants_a_protected_api_and_an_action_token():
    problems = production_problems(prod(), ["rasa", "run", "--enable-api", "--cors", "*"])
    assert any("--auth-token" in p for p in problems)
    assert any("--cors" in p for p in problems)
    assert any("ACTION_SERVER_TOKEN" in p for p in problems)


def test_production_with_every_secret_starts():
    settings = prod(ACTION_SERVER_TOKEN=GOOD)
    assert production_problems(settings, ["rasa", "run", "--enable-api", "--auth-token", GOOD]) == []
    assert production_problems(settings, ["rasa", "run"]) == []  # API off: no token needed
    assert production_problems(settings, ["rasa", "run", "--enable-api", "--jwt-secret", GOOD]) == []


def test_configured_wechat_needs_all_its_secrets():
    problems = production_problems(prod(ACTION_SERVER_TOKEN=GOOD, WECHAT_APPID="wx123", WECHAT_TOKEN="changeme"), [])
    assert {p.split()[0] for p in problems} == {"WECHAT_TOKEN", "WECHAT_SECRET", "WECHAT_AES_KEY"}


def test_a_placeholder_rest_token_is_refused():
    assert any("ZCT_REST_TOKEN" in p for p in production_problems(prod(ACTION_SERVER_TOKEN=GOOD, ZCT_REST_TOKEN="test"), []))


def test_every_setting_is_typed_with_its_default_when_unset_or_unusable(caplog):
    from bot.settings import Settings

    default = Settings.from_env({})
    assert (default.max_message_chars, default.action_timeout, default.handoff_timeout_minutes) == (1000, 5.0, 30.0)
    assert default.handoff_waiting_reply and not default.console_cookie_secure and default.cors_origins == frozenset()
    given = Settings.from_env({"ZCT_MAX_MESSAGE_CHARS": "300", "ZCT_ACTION_TIMEOUT": "2.5",
                               "HANDOFF_WAITING_REPLY": "0", "CONSOLE_COOKIE_SECURE": "true",
                               "ZCT_CORS_ORIGINS": "https://a.example/, *", "TRACKER_DB_URL": " sqlite:///x.db "})
    assert (given.max_message_chars, given.action_timeout) == (300, 2.5)
    assert not given.handoff_waiting_reply and given.console_cookie_secure
    assert given.cors_origins == frozenset({"https://a.example"}) and given.tracker_db_url == "sqlite:///x.db"
    bad = Settings.from_env({"ZCT_MAX_MESSAGE_CHARS": "0", "CONSOLE_SESSION_HOURS": "twelve"})
    assert (bad.max_message_chars, bad.console_session_hours) == (1000, 12.0)
    assert "CONSOLE_SESSION_HOURS='twelve' is not a positive number" in caplog.text


def test_env_example_names_every_setting_the_code_reads():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (root / ".env.example").read_text(encoding="utf-8"), re.M))
    code = "\n".join(p.read_text(encoding="utf-8") for d in ("bot", "actions", "policies_kb") for p in (root / d).rglob("*.py"))
    read = set(re.findall(r"""env\.get\(\s*["']([A-Z][A-Z0-9_]+)["']""", code))
    read |= set(re.findall(r"""os\.environ(?:\.get\(|\[)\s*["']([A-Z][A-Z0-9_]+)["']""", code))
    read |= set(re.findall(r"""\(env, ["']([A-Z][A-Z0-9_]+)["']""", code))  # _positive(env, "…"), _env_float
    internal = {"RASA_TELEMETRY_ENABLED", "WECHAT_API_BASE"}  # set by the Makefile / the tests' fake API
    assert read - internal <= listed, sorted(read - internal - listed)
