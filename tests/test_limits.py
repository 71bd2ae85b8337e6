"""bot.limits: the one reading of ZCT_MAX_MESSAGE_CHARS and its reply."""
import pytest

from bot.limits import DEFAULT_MAX_MESSAGE_CHARS, max_message_chars, too_long_reply


@pytest.mark.parametrize(
    "env, expected",
    [
        ({}, DEFAULT_MAX_MESSAGE_CHARS),
        ({"ZCT_MAX_MESSAGE_CHARS": ""}, DEFAULT_MAX_MESSAGE_CHARS),
        ({"ZCT_MAX_MESSAGE_CHARS": "500"}, 500),
        ({"ZCT_MAX_MESSAGE_CHARS": " 200 "}, 200),
        # a typo or 0 must not switch the cap off
        ({"ZCT_MAX_MESSAGE_CHARS": "abc"}, DEFAULT_MAX_MESSAGE_CHARS),
        ({"ZCT_MAX_MESSAGE_CHARS": "0"}, DEFAULT_MAX_MESSAGE_CHARS),
        ({"ZCT_MAX_MESSAGE_CHARS": "-5"}, DEFAULT_MAX_MESSAGE_CHARS),
    ],
)
def test_max_message_chars(env, expected):
    assert max_message_chars(env) == expected


def test_default_is_1000():
    assert DEFAULT_MAX_MESSAGE_CHARS == 1000


def test_reads_process_environment(monkeypatch):
    monkeypatch.setenv("ZCT_MAX_MESSAGE_CHARS", "321")
    assert max_message_chars() == 321


def test_too_long_reply_names_the_limit_in_chinese():
    reply = too_long_reply(1000)
    assert "太长" in reply and "1000" in reply and "分几条" in reply
