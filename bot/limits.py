"""How long an owner's message may be before it reaches NLU, and what the owner reads when
the bot cannot run.

One home for the limit, shared by every channel: a 12,000-character message
costs the NLU pipeline tens of seconds and gigabytes and stalls every other
conversation, while a real question fits in a few hundred characters.
"""
from typing import Mapping, Optional

from bot.settings import Settings

DEFAULT_MAX_MESSAGE_CHARS = Settings.max_message_chars


def max_message_chars(env: Optional[Mapping[str, str]] = None) -> int:
    """ZCT_MAX_MESSAGE_CHARS as a positive int; the default when unset or unusable."""
    return Settings.from_env(env).max_message_chars


def too_long_reply(limit: int) -> str:
    """The owner-facing answer to a message over `limit` characters."""
    return f"您的消息太长了（超过 {limit} 字），请分几条、每条 {limit} 字以内说明您的问题。"


# The conversation database failed: say so instead of answering from an empty profile.
STORE_UNAVAILABLE_REPLY = ("抱歉，系统暂时无法读取或保存您的对话记录，这次先不回答，免得按不完整的情况给您错误的结论。"
                           "请过几分钟再发一次；着急的话可拨打 12345 政务服务便民热线。")
# Anything else that stopped the turn.
INTERNAL_ERROR_REPLY = "抱歉，系统出了点问题，没能处理您的消息。请稍后再发一次；着急的话可拨打 12345 政务服务便民热线。"
