"""Hostile requests against the channel, over real HTTP: plaintext bodies on an
encrypted channel, signed URLs used twice, text that tries to break out of
the reply XML, messages too long for NLU, bodies far over the size limit.
Runs the fixture bot behind an AES channel and behind a plaintext one."""
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from bot.limits import too_long_reply
from tests.channels.conftest import server_log, side, start_rasa, user_turns, wechat_env
from tests.channels.wechat_side import new_openid, next_msg_id, nonce, text_xml

pytestmark = pytest.mark.integration  # boots real Rasa servers

REPLY_FIELDS = ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content"]


def reply_tree(wx, resp) -> ET.Element:
    """The passive reply's XML as WeChat would read it (decrypted if needed)."""
    assert resp.status_code == 200, (resp.status_code, resp.text)
    raw = resp.text
    root = ET.fromstring(raw)
    if root.find("Encrypt") is not None:
        raw = wx.crypto.decrypt_message(
            raw, root.findtext("MsgSignature"), root.findtext("TimeStamp"), root.findtext("Nonce")
        )
        root = ET.fromstring(raw)
    return root


# -- 1. plaintext on a channel with an AES key ---------------------------------------------


def test_captured_url_with_forged_plaintext_refused(fixture_server):
    """WECHAT_REQUIRE_AES is not set, but an AES key is: a signed URL captured
    from a genuine encrypted message can't carry a forged plaintext body."""
    wx = side(fixture_server, "safe")
    owner, victim = new_openid(), new_openid()
    params, body = wx.prepare(text_xml(owner, "你好"))
    assert wx.reply_of(wx.post_raw(params, body))["Content"].startswith("您好")

    forged = {k: v for k, v in params.items() if k not in ("encrypt_type", "msg_signature")}
    resp = wx.post_raw(forged, text_xml(victim, "转人工").encode())
    assert resp.status_code == 403
    assert user_turns(fixture_server, victim) == 0
    # a fresh signed URL doesn't help either: plaintext is refused as such
    fresh = side(fixture_server, "plain").post(text_xml(victim, "转人工"))
    assert fresh.status_code == 403
    assert user_turns(fixture_server, victim) == 0
    assert "plaintext message refused (WECHAT_AES_KEY is configured)" in server_log(fixture_server)


# -- 2. a signed URL carries one message ------------------------------------------------------


def test_replayed_url_with_another_body_refused(plain_server):
    wx = side(plain_server, "plain")
    owner, victim = new_openid(), new_openid()
    params, body = wx.prepare(text_xml(owner, "你好"))
    assert wx.reply_of(wx.post_raw(params, body))["Content"].startswith("您好")

    resp = wx.post_raw(params, text_xml(victim, "转人工").encode())
    assert resp.status_code == 403
    assert user_turns(plain_server, victim) == 0
    assert "signed URL reused with another body" in server_log(plain_server)


def test_replayed_url_with_another_encrypted_body_refused(fixture_server):
    # Only a holder of the token can sign a second ciphertext for the same
    # URL; even then the URL is used up.
    wx = side(fixture_server, "safe")
    owner, victim = new_openid(), new_openid()
    ts, n = int(time.time()), nonce()
    assert wx.reply_of(wx.post_raw(*wx.prepare(text_xml(owner, "你好"), ts, n))) is not None
    resp = wx.post_raw(*wx.prepare(text_xml(victim, "转人工"), ts, n))
    assert resp.status_code == 403
    assert user_turns(fixture_server, victim) == 0


@pytest.mark.parametrize("mode", ["plain", "safe"])
def test_wechat_retry_with_the_same_url_shares_the_answer(fixture_server, plain_server, mode):
    """WeChat retries with the identical URL and body: never refused, the bot
    runs once, concurrent and late retries get the first answer."""
    server = plain_server if mode == "plain" else fixture_server
    wx = side(server, mode)
    user = new_openid()
    params, body = wx.prepare(text_xml(user, "创业担保贷款", next_msg_id()))
    with ThreadPoolExecutor(3) as pool:
        responses = list(pool.map(lambda _: wx.post_raw(params, body), range(3)))
    late = wx.post_raw(params, body)
    contents = {wx.reply_of(r)["Content"] for r in responses + [late]}
    assert contents == {"个人创业担保贷款最高可贷20万元，小微企业最高300万元。"}
    assert user_turns(server, user) == 1


# -- 3. the reply XML --------------------------------------------------------------------------

BREAKOUT = "复述 ]]></Content><MsgType><![CDATA[news]]></MsgType><Content><![CDATA[请先交保证金"


@pytest.mark.parametrize("mode", ["plain", "safe"])
def test_owner_text_cannot_add_elements_to_the_reply(fixture_server, plain_server, mode):
    server = plain_server if mode == "plain" else fixture_server
    wx = side(server, mode)
    user = new_openid()
    root = reply_tree(wx, wx.post(text_xml(user, BREAKOUT)))
    assert [child.tag for child in root] == REPLY_FIELDS
    assert root.findtext("MsgType") == "text"
    assert root.findtext("Content") == "您说的是：" + BREAKOUT
    assert root.findtext("ToUserName") == user


# -- 5. length cap before NLU ------------------------------------------------------------------


@pytest.mark.parametrize(
    "mode, text",
    [
        ("safe", "政策a1" * 4500),  # 18,000 characters, fits the 64 KB body once encrypted
        ("plain", "a" * 50_000),
    ],
    ids=["18000-safe", "50000-plain"],
)
def test_too_long_message_answered_at_once_without_the_bot(fixture_server, plain_server, mode, text):
    server = plain_server if mode == "plain" else fixture_server
    wx = side(server, mode)
    owner, other = new_openid(), new_openid()
    with ThreadPoolExecutor(2) as pool:
        started = time.monotonic()
        long_reply = pool.submit(lambda: wx.say(owner, text))
        other_reply = pool.submit(lambda: side(server, mode).say(other, "你好"))
        content = long_reply.result()["Content"]
        elapsed = time.monotonic() - started
        assert other_reply.result()["Content"].startswith("您好")
    assert elapsed < 5  # a sanity bound; bench/bench_security.py measures the real figure
    assert content == too_long_reply(1000)
    assert "1000" in content and "太长" in content
    assert user_turns(server, owner) == 0  # NLU never saw it
    assert user_turns(server, other) == 1


def test_too_long_message_is_logged_masked(fixture_server):
    wx = side(fixture_server, "safe")
    wx.say(new_openid(), "我电话13812345678，身份证440106199001011234。" + "请问" * 600)
    log = server_log(fixture_server)
    assert "138****5678" in log and "440106********1234" in log
    assert "13812345678" not in log and "440106199001011234" not in log


@pytest.fixture(scope="module")
def short_limit_server(wechat_fixture_model, wechat_api):
    server = start_rasa(wechat_fixture_model, wechat_env(wechat_api.url, ZCT_MAX_MESSAGE_CHARS="50"))
    yield server
    server.stop()


def test_limit_comes_from_zct_max_message_chars(short_limit_server):
    wx = side(short_limit_server, "safe")
    user = new_openid()
    assert wx.say(user, "你好 " + "呀" * 47)["Content"].startswith("您好")  # 50: still the bot's
    assert wx.say(user, "你好 " + "呀" * 48)["Content"] == too_long_reply(50)
    assert user_turns(short_limit_server, user) == 1


# -- 6. bodies far over WECHAT_MAX_BODY --------------------------------------------------------


@pytest.mark.parametrize("mode", ["plain", "safe"])
def test_huge_body_gets_a_readable_413(fixture_server, plain_server, mode):
    server = plain_server if mode == "plain" else fixture_server
    wx = side(server, mode)
    params, _ = wx.prepare(text_xml(new_openid(), "你好"))
    huge = b"<xml>" + b"a" * 20_000_000 + b"</xml>"  # 20 MB, 300 times the limit
    resp = requests.post(wx.url, params=params, data=huge, timeout=30)
    assert (resp.status_code, resp.text) == (413, "body too large")
    chunked = requests.post(wx.url, params=params, data=(huge[i : i + 65536] for i in range(0, len(huge), 65536)), timeout=30)
    assert (chunked.status_code, chunked.text) == (413, "body too large")
    # refused on the signature before the body is read: still a readable answer
    forged = dict(params, signature="0" * 40)
    resp = requests.post(wx.url, params=forged, data=huge, timeout=30)
    assert (resp.status_code, resp.text) == (403, "bad signature")
