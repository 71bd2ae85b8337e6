"""The WeChat webhook against the real Rasa server running the project's bot:
URL verification, the three encryption modes, hostile requests, every
message and event type, and WeChat's retries."""
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from wechatpy.crypto import WeChatCrypto

from tests.channels.conftest import AES_KEY, TOKEN, side, tracker, user_turns
from tests.channels.wechat_side import (
    signed_query,
    webhook,
    event_xml,
    message_xml,
    new_openid,
    next_msg_id,
    nonce,
    sign,
    text_xml,
)

pytestmark = pytest.mark.integration  # boots real Rasa servers

CHINESE = re.compile(r"[\u4e00-\u9fff]")


# -- URL verification (GET) ------------------------------------------------------


def test_health_route(wechat_server):
    data = requests.get(f"{wechat_server.url}/webhooks/wechat/", timeout=5).json()
    assert data == {"status": "ok", "configured": True, "encryption": True, "dedup_store": "sqlite"}


def test_verification_echoes_echostr(wechat_server):
    params = dict(signed_query(TOKEN), echostr="8142037756290617341")
    resp = requests.get(webhook(wechat_server), params=params, timeout=5)
    assert resp.status_code == 200
    assert resp.text == "8142037756290617341"


@pytest.mark.parametrize(
    "change, status",
    [
        ({"signature": "0" * 40}, 403),
        ({"token": "guessed-token"}, 403),
        ({"timestamp": str(int(time.time()) - 3600)}, 403),  # outside the replay window
        ({"signature": None}, 400),
        ({"timestamp": "yesterday"}, 400),
    ],
)
def test_verification_refused(wechat_server, change, status):
    token = change.pop("token", TOKEN)
    ts = change.get("timestamp") if change.get("timestamp", "").isdigit() else None
    params = dict(signed_query(token, ts), echostr="123")
    params.update(change)
    params = {k: v for k, v in params.items() if v is not None}
    resp = requests.get(webhook(wechat_server), params=params, timeout=5)
    assert resp.status_code == status
    assert "123" not in resp.text


# -- the three modes ---------------------------------------------------------------


@pytest.mark.parametrize("mode", ["plain", "compat", "safe"])
def test_text_message_in_each_mode(wechat_server, plain_server, mode):
    # plaintext is accepted only by a channel without an AES key (明文模式)
    server = plain_server if mode == "plain" else wechat_server
    wx = side(server, mode)
    user = new_openid()
    msg_id = next_msg_id()
    reply = wx.say(user, "你好", msg_id)

    assert reply is not None and reply["MsgType"] == "text"
    assert CHINESE.search(reply["Content"])
    assert reply["ToUserName"] == user and reply["FromUserName"] == "gh_zhengcetong01"
    assert ("_encrypted" in reply) == (mode != "plain")  # encrypted requests, encrypted replies

    events = tracker(server, user)["events"]
    users = [e for e in events if e["event"] == "user"]
    assert len(users) == 1
    assert users[0]["text"] == "你好"
    assert users[0]["input_channel"] == "wechat"
    assert users[0]["metadata"]["wechat"] == {"msg_type": "text", "msg_id": str(msg_id)}


# -- requests that must never reach the bot ------------------------------------------


def test_forged_signature_never_reaches_bot(wechat_server):
    user = new_openid()
    params = signed_query("not-our-token")
    resp = requests.post(webhook(wechat_server), params=params, data=text_xml(user, "你好").encode(), timeout=5)
    assert resp.status_code == 403
    assert user_turns(wechat_server, user) == 0


def test_bad_msg_signature_refused(wechat_server):
    wx = side(wechat_server, "safe")
    user = new_openid()
    params, body = wx.prepare(text_xml(user, "你好"))
    params["msg_signature"] = sign(TOKEN, params["timestamp"], params["nonce"], "other-ciphertext")
    assert wx.post_raw(params, body).status_code == 403
    assert user_turns(wechat_server, user) == 0


def test_message_for_another_appid_refused(wechat_server):
    wx = side(wechat_server, "safe")
    wx.crypto = WeChatCrypto(TOKEN, AES_KEY, "wx_someone_else_00")  # right key, wrong AppID
    user = new_openid()
    resp = wx.post(text_xml(user, "你好"))
    assert resp.status_code == 403
    assert user_turns(wechat_server, user) == 0


def test_broken_ciphertext_refused(wechat_server):
    wx = side(wechat_server, "safe")
    ts, n = str(int(time.time())), nonce()
    for garbage in ["bm90IGEgY2lwaGVydGV4dA==", "%%%not-base64%%%", "QUJD"]:
        params = {
            "signature": sign(TOKEN, ts, n), "timestamp": ts, "nonce": n,
            "encrypt_type": "aes", "msg_signature": sign(TOKEN, ts, n, garbage),
        }
        body = f"<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[{garbage}]]></Encrypt></xml>"
        resp = wx.post_raw(params, body.encode())
        assert resp.status_code == 400, garbage


def test_voice_with_recognition_is_handled_as_text(wechat_server):
    wx = side(wechat_server, "safe")
    user = new_openid()
    xml = message_xml(user, "voice", MediaId="m1", Format="amr", Recognition="你好", MsgId=next_msg_id())
    reply = wx.reply_of(wx.post(xml))
    assert reply and CHINESE.search(reply["Content"])
    users = [e for e in tracker(wechat_server, user)["events"] if e["event"] == "user"]
    assert [u["text"] for u in users] == ["你好"]
    assert users[0]["metadata"]["wechat"]["msg_type"] == "voice"


def test_voice_without_recognition_gets_polite_reply(wechat_server):
    wx = side(wechat_server, "safe")
    user = new_openid()
    reply = wx.reply_of(wx.post(message_xml(user, "voice", MediaId="m1", Format="amr", MsgId=next_msg_id())))
    assert "语音" in reply["Content"]
    assert user_turns(wechat_server, user) == 0


@pytest.mark.parametrize(
    "msg_type, fields",
    [
        ("image", {"PicUrl": "http://127.0.0.1/a.jpg", "MediaId": "m"}),
        ("video", {"MediaId": "m", "ThumbMediaId": "t"}),
        ("shortvideo", {"MediaId": "m", "ThumbMediaId": "t"}),
        ("location", {"Location_X": "23.1", "Location_Y": "113.3", "Scale": "20", "Label": "广州"}),
        ("link", {"Title": "政策", "Description": "d", "Url": "http://127.0.0.1/x"}),
        ("miniprogrampage", {"Title": "x"}),  # a type we don't know
    ],
)
def test_other_message_types_get_what_we_handle(wechat_server, msg_type, fields):
    wx = side(wechat_server, "safe")
    user = new_openid()
    reply = wx.reply_of(wx.post(message_xml(user, msg_type, MsgId=next_msg_id(), **fields)))
    assert "文字" in reply["Content"] and "语音" in reply["Content"]
    assert user_turns(wechat_server, user) == 0


# -- events ---------------------------------------------------------------------------------


def test_subscribe_gets_welcome(wechat_server):
    wx = side(wechat_server, "safe")
    user = new_openid()
    reply = wx.reply_of(wx.post(event_xml(user, "subscribe")))
    assert "欢迎" in reply["Content"]
    # via a QR code with a scene value: same welcome
    reply = wx.reply_of(wx.post(event_xml(user, "subscribe", key="qrscene_42")))
    assert "欢迎" in reply["Content"]


@pytest.mark.parametrize("event, key", [("unsubscribe", None), ("VIEW", "https://example.invalid/"), ("SCAN", "42")])
def test_silent_events_answer_success(wechat_server, event, key):
    wx = side(wechat_server, "safe")
    user = new_openid()
    resp = wx.post(event_xml(user, event, key=key))
    assert resp.status_code == 200 and resp.text == "success"
    assert user_turns(wechat_server, user) == 0


def test_menu_click_sends_intent_to_bot(wechat_server):
    wx = side(wechat_server, "safe")
    user = new_openid()
    reply = wx.reply_of(wx.post(event_xml(user, "CLICK", key="FIND_POLICIES")))
    assert reply and CHINESE.search(reply["Content"])
    users = [e for e in tracker(wechat_server, user)["events"] if e["event"] == "user"]
    assert len(users) == 1
    assert users[0]["parse_data"]["intent"]["name"] == "find_policies"
    assert users[0]["metadata"]["wechat"]["event_key"] == "FIND_POLICIES"


def test_menu_click_with_fixed_reply_and_unknown_key(wechat_server):
    wx = side(wechat_server, "safe")
    user = new_openid()
    assert "政策通" in wx.reply_of(wx.post(event_xml(user, "CLICK", key="HELP")))["Content"]
    assert "菜单" in wx.reply_of(wx.post(event_xml(user, "CLICK", key="NO_SUCH_KEY")))["Content"]
    assert user_turns(wechat_server, user) == 0


def test_retried_click_runs_bot_once(wechat_server):
    wx = side(wechat_server, "safe")
    user = new_openid()
    xml = event_xml(user, "CLICK", key="GUARANTEED_LOAN", create_time=int(time.time()))
    first = wx.reply_of(wx.post(xml))
    again = wx.reply_of(wx.post(xml))
    assert first["Content"] == again["Content"]
    assert user_turns(wechat_server, user) == 1


# -- retries ---------------------------------------------------------------------------------


def test_concurrent_retries_share_one_turn(wechat_server):
    """WeChat's retries of one message (same MsgId) arriving while the first
    attempt runs get the same answer, and the bot runs once."""
    wx = side(wechat_server, "safe")
    user = new_openid()
    xml = text_xml(user, "创业担保贷款能贷多少", next_msg_id())
    with ThreadPoolExecutor(3) as pool:
        responses = list(pool.map(lambda _: side(wechat_server, "safe").post(xml), range(3)))
    contents = {wx.reply_of(r)["Content"] for r in responses}
    assert len(contents) == 1 and CHINESE.search(contents.pop())
    assert user_turns(wechat_server, user) == 1


def test_late_retry_gets_same_answer(wechat_server):
    wx = side(wechat_server, "safe")
    user = new_openid()
    msg_id = next_msg_id()
    first = wx.say(user, "你好", msg_id)
    again = wx.say(user, "你好", msg_id)
    assert first["Content"] == again["Content"]
    assert user_turns(wechat_server, user) == 1
    # a new message (new MsgId) is a new turn
    wx.say(user, "你好")
    assert user_turns(wechat_server, user) == 2


# -- length cap ------------------------------------------------------------------------------


def test_too_long_message_never_reaches_nlu(wechat_server):
    """18,000 characters cost the project's NLU tens of seconds and gigabytes;
    capped, the owner is told at once and the bot never sees it."""
    wx = side(wechat_server, "safe")
    user = new_openid()
    text = "个体户a1b2c3d4e5f6" * 1200  # 18,000 characters, fits the 64 KB body encrypted
    started = time.monotonic()
    reply = wx.say(user, text)
    assert time.monotonic() - started < 5  # sanity bound; bench/bench_security.py measures it
    assert "太长" in reply["Content"] and "1000" in reply["Content"]
    assert user_turns(wechat_server, user) == 0
