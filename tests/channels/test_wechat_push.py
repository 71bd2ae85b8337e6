"""The 5-second rule: when the bot is slower than the reply budget, WeChat gets
"success" at once and the answer goes out as ONE customer-service message,
with access_token caching and refresh. WECHAT_REPLY_BUDGET=0 here: the budget
is spent before the bot even starts, so every turn takes this path."""
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.channels.conftest import server_log, side, start_rasa, user_turns, wechat_env
from tests.channels.wechat_side import new_openid, next_msg_id, text_xml

pytestmark = pytest.mark.integration  # boots real Rasa servers

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def slow_server(wechat_fixture_model, wechat_api):
    env = wechat_env(wechat_api.url, WECHAT_REPLY_BUDGET="0", WECHAT_REQUIRE_AES="1")
    server = start_rasa(wechat_fixture_model, env)
    yield server
    server.stop()


@pytest.fixture
def api(wechat_api):
    wechat_api.reset()
    yield wechat_api
    wechat_api.reset()


def sends_to(api, user, count=1, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        sends = [c for c in api.calls_of("send") if (c["json"] or {}).get("touser") == user]
        if len(sends) >= count:
            return sends
        api.wait_for("send", len(api.calls_of("send")) + 1, timeout=0.2)
    return [c for c in api.calls_of("send") if (c["json"] or {}).get("touser") == user]


def test_slow_answer_success_then_one_customer_service_message(slow_server, api):
    wx = side(slow_server, "safe")
    user = new_openid()
    started = time.monotonic()
    resp = wx.post(text_xml(user, "你好"))
    assert resp.status_code == 200 and resp.text == "success"
    assert time.monotonic() - started < 3.0  # no waiting for the bot (generous: shared CI box)

    sends = sends_to(api, user)
    assert len(sends) == 1
    body = sends[0]["json"]
    assert body["msgtype"] == "text" and CHINESE.search(body["text"]["content"])
    # literal UTF-8, not \\u escapes (WeChat would show those as is)
    assert "你" in sends[0]["raw"].decode("utf-8") or "您" in sends[0]["raw"].decode("utf-8")
    assert sends[0]["query"]["access_token"].startswith("ACCESS_TOKEN_")
    time.sleep(0.5)
    assert len(sends_to(api, user, timeout=0)) == 1
    assert user_turns(slow_server, user) == 1


def test_retries_during_slow_turn_run_bot_once(slow_server, api):
    user = new_openid()
    xml = text_xml(user, "你好", next_msg_id())
    with ThreadPoolExecutor(3) as pool:  # WeChat's retries racing the first attempt
        responses = list(pool.map(lambda _: side(slow_server, "safe").post(xml), range(3)))
    responses.append(side(slow_server, "safe").post(xml))  # and one after it finished
    assert [r.text for r in responses] == ["success"] * 4
    assert len(sends_to(api, user)) == 1
    time.sleep(0.5)
    assert len(sends_to(api, user, timeout=0)) == 1
    assert user_turns(slow_server, user) == 1


def test_access_token_is_cached(slow_server, api):
    wx = side(slow_server, "safe")
    users = [new_openid(), new_openid()]
    for user in users:
        wx.post(text_xml(user, "你好"))
        assert len(sends_to(api, user)) == 1
    tokens = {c["query"]["access_token"] for c in api.calls_of("send")}
    assert len(tokens) == 1
    assert len(api.calls_of("token")) <= 1  # at most the first fetch of this server


def test_expired_token_is_refetched_and_send_retried(slow_server, api):
    wx = side(slow_server, "safe")
    warm = new_openid()
    wx.post(text_xml(warm, "你好"))
    sends_to(api, warm)
    api.reset()
    api.expire_tokens()  # WeChat now answers 40001 to the cached token

    user = new_openid()
    wx.post(text_xml(user, "你好"))
    sends = sends_to(api, user, count=2)
    assert [s["answer"]["errcode"] for s in sends] == [40001, 0]
    assert len(api.calls_of("token")) == 1
    assert sends[1]["query"]["access_token"] != sends[0]["query"]["access_token"]


@pytest.mark.parametrize("errcode", [42001, 40014])
def test_token_errors_trigger_one_refresh(slow_server, api, errcode):
    api.fail_next("send", errcode)
    user = new_openid()
    side(slow_server, "safe").post(text_xml(user, "你好"))
    sends = sends_to(api, user, count=2)
    assert [s["answer"]["errcode"] for s in sends] == [errcode, 0]
    assert len(api.calls_of("token")) == 1


def test_token_error_twice_gives_up_after_one_retry(slow_server, api):
    api.fail_next("send", 40001, 40001)
    user = new_openid()
    side(slow_server, "safe").post(text_xml(user, "你好"))
    sends_to(api, user, count=2)
    time.sleep(0.5)
    assert len(sends_to(api, user, timeout=0)) == 2  # no retry loop
    assert "40001" in server_log(slow_server)


@pytest.mark.parametrize("errcode, hint", [(45015, "48 小时"), (45009, "每日限额")])
def test_api_errors_are_logged_and_harmless(slow_server, api, errcode, hint):
    api.fail_next("send", errcode)
    wx = side(slow_server, "safe")
    user = new_openid()
    assert wx.post(text_xml(user, "你好")).text == "success"
    assert len(sends_to(api, user)) == 1
    deadline = time.monotonic() + 5
    while f"WeChat API error {errcode}" not in server_log(slow_server) and time.monotonic() < deadline:
        time.sleep(0.1)
    log = server_log(slow_server)
    assert f"WeChat API error {errcode}" in log and hint in log

    # the channel carries on
    other = new_openid()
    assert wx.post(text_xml(other, "你好")).text == "success"
    assert sends_to(api, other)[0]["answer"]["errcode"] == 0


def test_long_slow_answer_pushes_first_part_only(slow_server, api):
    wx = side(slow_server, "safe")
    user = new_openid()
    wx.post(text_xml(user, "长文本"))
    (send,) = sends_to(api, user)
    content = send["json"]["text"]["content"]
    assert len(content.encode("utf-8")) <= 2048 and "回复“更多”" in content
    wx.post(text_xml(user, "更多"))
    sends = sends_to(api, user, count=2)
    assert "第1条：" not in sends[1]["json"]["text"]["content"]
    assert user_turns(slow_server, user) == 1


def test_plaintext_refused_when_encryption_required(slow_server, api):
    user = new_openid()
    assert side(slow_server, "plain").post(text_xml(user, "你好")).status_code == 403
    assert side(slow_server, "compat").post(text_xml(user, "你好")).text == "success"
    sends_to(api, user)  # the turn runs after "success": wait for its answer
    assert user_turns(slow_server, user) == 1
