"""The channel's state outlives a restart: the default store is a sqlite file,
so a retry arriving after a restart still gets the first answer without a
second bot turn, and a used signed URL stays used. Memory mode is refused
with ZCT_ENV=production."""
import pytest
import requests

from tests.channels.conftest import server_log, side, start_rasa, user_turns, wechat_env
from tests.channels.wechat_side import new_openid, next_msg_id, text_xml

pytestmark = pytest.mark.integration  # boots real Rasa servers


def health(server) -> dict:
    return requests.get(f"{server.url}/webhooks/wechat/", timeout=5).json()


def test_restart_keeps_dedupe_and_used_urls(wechat_fixture_model, wechat_api):
    env = wechat_env(wechat_api.url)  # one state file for both lives of the server
    user, victim = new_openid(), new_openid()
    msg_id = next_msg_id()

    first = start_rasa(wechat_fixture_model, env)
    try:
        assert health(first)["dedup_store"] == "sqlite"
        wx = side(first, "safe")
        params, body = wx.prepare(text_xml(user, "创业担保贷款", msg_id))
        answer = wx.reply_of(wx.post_raw(params, body))["Content"]
        assert user_turns(first, user) == 1
    finally:
        first.stop()

    second = start_rasa(wechat_fixture_model, env)
    try:
        wx = side(second, "safe")
        # WeChat's retry of that message (a new URL here): same answer, no new turn
        assert wx.say(user, "创业担保贷款", msg_id)["Content"] == answer
        assert user_turns(second, user) == 0
        # the URL used before the restart can't carry another message
        resp = wx.post_raw(params, wx.prepare(text_xml(victim, "转人工"), int(params["timestamp"]), params["nonce"])[1])
        assert resp.status_code == 403
        assert user_turns(second, victim) == 0
    finally:
        second.stop()


def test_memory_store_refused_in_production(wechat_fixture_model, wechat_api):
    env = wechat_env(wechat_api.url, ZCT_ENV="production", WECHAT_DEDUP_STORE="memory")
    server = start_rasa(wechat_fixture_model, env)
    try:
        assert health(server)["dedup_store"] == "sqlite"
        assert "WECHAT_DEDUP_STORE=memory is refused with ZCT_ENV=production" in server_log(server)
        assert side(server, "safe").say(new_openid(), "你好")["Content"].startswith("您好")
    finally:
        server.stop()


def test_memory_store_still_available_outside_production(wechat_fixture_model, wechat_api):
    server = start_rasa(wechat_fixture_model, wechat_env(wechat_api.url, WECHAT_DEDUP_STORE="memory"))
    try:
        assert health(server)["dedup_store"] == "memory"
    finally:
        server.stop()
