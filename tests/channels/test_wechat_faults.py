"""Faults behind the WeChat channel, with the project's bot: the owner always reads something
useful — never "success" and silence, never an answer from a forgotten profile."""
import tempfile
from pathlib import Path

import pytest

from bot import limits
from tests.channels.conftest import side, wechat_env
from tests.channels.wechat_side import new_openid
from tests.support import servers

pytestmark = pytest.mark.integration


def start(model, env, action_url, tracker_url):
    """`rasa run` with the project's credentials and endpoints (SQL tracker store)."""
    return servers.start_rasa_server(model, action_url=action_url, env={**env, "TRACKER_DB_URL": tracker_url})


def test_broken_conversation_database_gets_a_clear_refusal(trained_model, action_server, session_kb_url, wechat_api):
    path = Path(tempfile.mkdtemp(prefix="zct-wx-bad-")) / "tracker.db"
    path.write_bytes(b"not a database " * 300)
    env = {**wechat_env(wechat_api.url), "DATABASE_URL": session_kb_url}
    server = start(trained_model, env, f"{action_server.url}/webhook", f"sqlite:///{path}")
    try:
        reply = side(server, "safe").say(new_openid(), "我是退伍军人开面馆的个体户，有什么补贴")
        assert reply["Content"] == limits.STORE_UNAVAILABLE_REPLY
    finally:
        server.stop()


def test_action_server_down_gets_the_fallback_reply(trained_model, session_kb_url, wechat_api):
    env = {**wechat_env(wechat_api.url), "DATABASE_URL": session_kb_url, "ZCT_ACTION_TIMEOUT": "1.5"}
    tracker = f"sqlite:///{tempfile.mkdtemp(prefix='zct-wx-down-')}/tracker.db"
    server = start(trained_model, env, f"http://127.0.0.1:{servers.free_port()}/webhook", tracker)
    try:
        reply = side(server, "safe").say(new_openid(), "我开面馆的个体户有什么补贴")
        assert "政策查询服务暂时连不上" in reply["Content"] and "12345" in reply["Content"]
    finally:
        server.stop()


def test_oversized_message_gets_a_readable_413_not_a_reset(fixture_server):
    """requests sends the whole body before reading: the 413 must still reach it."""
    from tests.channels.wechat_side import text_xml

    wx = side(fixture_server, "safe")
    for _ in range(3):  # and the connection is reusable afterwards
        resp = wx.post(text_xml(new_openid(), "我想问一下社保缓缴的政策" * 4200), timeout=30)
        assert resp.status_code == 413 and "too large" in resp.text
