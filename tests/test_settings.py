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
