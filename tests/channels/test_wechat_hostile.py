"""Hostile bodies at the WeChat webhook: entity tricks, oversized and malformed XML, replays and
unknown encryption — refused before anything reaches the bot (real Rasa servers)."""
import time

import pytest
import requests

from tests.channels.conftest import TOKEN, side, user_turns
from tests.channels.wechat_side import new_openid, signed_query, text_xml, webhook

pytestmark = pytest.mark.integration  # boots real Rasa servers


XXE = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh</ToUserName><FromUserName>{user}</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>"""

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">""" + "".join(
    f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10)
) + """]>
<xml><ToUserName>gh</ToUserName><FromUserName>{user}</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>2</MsgId></xml>"""


@pytest.mark.parametrize("payload", [XXE, BILLION_LAUGHS], ids=["xxe", "billion-laughs"])
@pytest.mark.parametrize("mode", ["plain", "safe"])
def test_doctype_and_entities_refused(wechat_server, plain_server, payload, mode):
    server = plain_server if mode == "plain" else wechat_server
    wx = side(server, mode)
    user = new_openid()
    started = time.monotonic()
    resp = wx.post(payload.replace("{user}", user))  # in safe mode the DTD is inside the ciphertext
    assert resp.status_code == 400
    assert time.monotonic() - started < 3  # refused before any entity is expanded
    assert "root:" not in resp.text
    assert user_turns(server, user) == 0


def test_oversized_body_refused(plain_server):
    wx = side(plain_server, "plain")
    user = new_openid()
    huge = text_xml(user, "政" * 100_000)
    assert wx.post(huge).status_code == 413

    # Without Content-Length (chunked) the stream is cut off at the limit too.
    params, body = wx.prepare(huge)
    chunks = (body[i : i + 8192] for i in range(0, len(body), 8192))
    resp = requests.post(webhook(plain_server), params=params, data=chunks, timeout=10)
    assert resp.status_code == 413
    assert user_turns(plain_server, user) == 0


@pytest.mark.parametrize(
    "body",
    [
        "<xml><ToUserName>gh</ToUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>你好</Content></xml>",
        "<xml><ToUserName>gh</ToUserName><FromUserName>ou</FromUserName><Content>你好</Content></xml>",
        "<xml><ToUserName>gh</ToUserName><FromUserName>ou",  # truncated
        "<html><body>hi</body></html>",
        "",
    ],
    ids=["no-sender", "no-msgtype", "truncated", "not-wechat", "empty"],
)
def test_malformed_messages_get_400(plain_server, body):
    resp = side(plain_server, "plain").post(body)
    assert resp.status_code == 400


def test_replayed_old_request_refused(wechat_server):
    user = new_openid()
    resp = side(wechat_server, "safe").post(text_xml(user, "你好"), timestamp=int(time.time()) - 600)
    assert resp.status_code == 403
    assert user_turns(wechat_server, user) == 0


def test_unknown_encrypt_type_refused(wechat_server):
    params = dict(signed_query(TOKEN), encrypt_type="rot13")
    resp = requests.post(webhook(wechat_server), params=params, data=text_xml("ou", "你好").encode(), timeout=5)
    assert resp.status_code == 400


# -- message types ---------------------------------------------------------------------
