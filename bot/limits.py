"""How long an owner's message may be before it reaches NLU.

One home for the limit, shared by every channel: a 12,000-character message
costs the NLU pipeline tens of seconds and gigabytes and stalls every other
conversation, while a real question fits in a few hundred characters.
"""
import logging
import os
from typing import Mapping, Optional

logger = logging.getLogger(__name__)

ENV_NAME = "ZCT_MAX_MESSAGE_CHARS"
DEFAULT_MAX_MESSAGE_CHARS = 1000


def max_message_chars(env: Optional[Mapping[str, str]] = None) -> int:
    """ZCT_MAX_MESSAGE_CHARS as a positive int; the default when unset or unusable."""
    env = os.environ if env is None else env
    raw = (env.get(ENV_NAME) or "").strip()
    if not raw:
        return DEFAULT_MAX_MESSAGE_CHARS
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        # A typo must not switch the cap off: that is the expensive failure.
        logger.error("%s=%r is not a positive integer, using %d", ENV_NAME, raw, DEFAULT_MAX_MESSAGE_CHARS)
        return DEFAULT_MAX_MESSAGE_CHARS
    return value


def too_long_reply(limit: int) -> str:
    """The owner-facing answer to a message over `limit` characters."""
    return f"您的消息太长了（超过 {limit} 字），请分几条、每条 {limit} 字以内说明您的问题。"
