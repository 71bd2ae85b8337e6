"""Shaping the bot's answers for WeChat: buttons as numbered options chosen by
digit, and answers over the 2048-byte limit paged with "更多". Runs the test
fixture bot (tests/channels/fixture_bot), which has such answers."""
import pytest

from tests.channels.conftest import side, tracker, user_turns
from tests.channels.wechat_side import new_openid, next_msg_id

pytestmark = pytest.mark.integration  # boots real Rasa servers

LIMIT = 2048


def user_texts(server, user):
    return [e["text"] for e in tracker(server, user)["events"] if e["event"] == "user"]


def test_buttons_become_numbered_options(fixture_server):
    wx = side(fixture_server, "safe")
    user = new_openid()
    content = wx.say(user, "选项")["Content"]
    assert content == "请选择您关心的政策类型：\n\n回复数字选择：\n1. 创业担保贷款\n2. 人工服务"

    # "2" is replaced by the second button's payload before the bot sees it
    content = wx.say(user, "2")["Content"]
    assert "人工" in content
    events = [e for e in tracker(fixture_server, user)["events"] if e["event"] == "user"]
    assert events[-1]["text"] == "/request_human"
    assert events[-1]["parse_data"]["intent"]["name"] == "request_human"
    assert events[-1]["metadata"]["wechat"]["option"] == "2"


def test_digit_without_current_options_goes_to_bot_as_text(fixture_server):
    wx = side(fixture_server, "safe")
    user = new_openid()
    wx.say(user, "选项")
    wx.say(user, "你好")  # an answer without buttons: the options are gone
    wx.say(user, "1")
    assert user_texts(fixture_server, user) == ["选项", "你好", "1"]


def test_out_of_range_and_fullwidth_digits(fixture_server):
    wx = side(fixture_server, "safe")
    user = new_openid()
    wx.say(user, "选项")
    wx.say(user, "7")  # no 7th option: passed on as text (the bot has no button answer)
    wx.say(user, "选项")
    wx.say(user, "１")  # full-width digit from a Chinese keyboard
    assert user_texts(fixture_server, user) == ["选项", "7", "选项", "/ask_guaranteed_loan"]


def test_long_answer_is_paged_with_more(fixture_server):
    wx = side(fixture_server, "safe")
    user = new_openid()
    parts = [wx.say(user, "长文本")["Content"]]
    while "回复“更多”" in parts[-1]:
        assert len(parts) < 20
        parts.append(wx.say(user, "更多")["Content"])

    assert len(parts) > 1
    assert all(len(p.encode("utf-8")) <= LIMIT for p in parts)
    text = "".join(parts)
    for i in range(1, 25):  # every paragraph of the answer arrives, in order
        assert f"第{i}条：" in text
    assert text.index("第1条：") < text.index("第24条：")
    # paging never runs the bot: one user turn for the whole answer
    assert user_texts(fixture_server, user) == ["长文本"]

    # with nothing left to page, "更多" is an ordinary message for the bot
    wx.say(user, "更多")
    assert user_texts(fixture_server, user) == ["长文本", "更多"]


def test_retried_more_does_not_skip_a_part(fixture_server):
    wx = side(fixture_server, "safe")
    user = new_openid()
    first = wx.say(user, "长文本")["Content"]
    msg_id = next_msg_id()
    second = wx.say(user, "更多", msg_id)["Content"]
    assert wx.say(user, "更多", msg_id)["Content"] == second  # WeChat's retry: same part
    third = wx.say(user, "更多")["Content"]
    assert len({first, second, third}) == 3
    assert user_turns(fixture_server, user) == 1
