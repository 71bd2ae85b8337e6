"""What one owner's message may cost the server, and what the owner reads when the bot cannot
run — shared by every channel.

NLU time and memory grow with the length of a message (a 12,000-character text took 44 s and
8 GB), so a message over the cap is answered politely by the channel and never reaches NLU.
"""
from __future__ import annotations

import logging
import os
from typing import Mapping, Optional

logger = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_CHARS = 1000


def max_message_chars(env: Optional[Mapping[str, str]] = None) -> int:
    """ZCT_MAX_MESSAGE_CHARS (default 1000); a bad value falls back to the default, loudly."""
    raw = (os.environ if env is None else env).get("ZCT_MAX_MESSAGE_CHARS", "")
    if not raw:
        return DEFAULT_MAX_MESSAGE_CHARS
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        logger.error("ZCT_MAX_MESSAGE_CHARS=%r is not a positive integer; using %d", raw, DEFAULT_MAX_MESSAGE_CHARS)
        return DEFAULT_MAX_MESSAGE_CHARS
    return value


def too_long_reply(limit: int) -> str:
    return (f"您的消息太长了（超过 {limit} 字），我一次看不完。"
            f"请分几条发，每条 {limit} 字以内，先说您想问的事（比如“个体户税收优惠”），再补充情况。")


# The conversation database failed: say so instead of answering from an empty profile.
STORE_UNAVAILABLE_REPLY = ("抱歉，系统暂时无法读取或保存您的对话记录，这次先不回答，免得按不完整的情况给您错误的结论。"
                           "请过几分钟再发一次；着急的话可拨打 12345 政务服务便民热线。")
# Anything else that stopped the turn.
INTERNAL_ERROR_REPLY = "抱歉，系统出了点问题，没能处理您的消息。请稍后再发一次；着急的话可拨打 12345 政务服务便民热线。"
