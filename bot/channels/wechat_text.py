"""Turning Rasa's bot messages into what a WeChat passive reply can carry.

A passive reply is ONE text message of at most 2048 bytes (UTF-8), so the
bot's messages are joined with blank lines, buttons become numbered options
(WeChat text has no buttons) and an over-long answer is cut into parts that
the user pages through by sending "更多".
"""
from typing import Any, Dict, List, Optional, Tuple

MAX_REPLY_BYTES = 2048
MORE_KEYWORDS = ("更多", "更多内容", "继续")
MORE_HINT = "（内容较长，回复“更多”查看后续）"
BUTTONS_HEADER = "回复数字选择："


def render_messages(messages: List[Dict[str, Any]]) -> Tuple[str, List[Dict[str, str]]]:
    """Join collected bot messages into one text; return it and the options.

    Options are numbered across all messages in order, so "2" always means the
    second option the user saw.
    """
    parts: List[str] = []
    options: List[Dict[str, str]] = []
    for msg in messages:
        text = (msg.get("text") or "").strip()
        if text:
            parts.append(text)
        if msg.get("image"):
            parts.append(f"图片：{msg['image']}")
        if msg.get("attachment"):
            parts.append(f"附件：{msg['attachment']}")
        custom = msg.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("text"), str):
            parts.append(custom["text"].strip())
        for button in msg.get("buttons") or []:
            title = str(button.get("title") or button.get("payload") or "").strip()
            payload = button.get("payload") or button.get("url") or title
            if title:
                options.append({"title": title, "payload": str(payload)})
    if options:
        lines = [BUTTONS_HEADER]
        lines += [f"{i}. {opt['title']}" for i, opt in enumerate(options, start=1)]
        parts.append("\n".join(lines))
    return "\n\n".join(p for p in parts if p), options


def pick_option(text: str, options: Optional[List[Dict[str, str]]]) -> Optional[str]:
    """Payload of the option the user chose by number, or None."""
    choice = (text or "").strip()
    # Full-width digits are common on Chinese keyboards.
    choice = choice.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if not options or not choice.isdigit():
        return None
    index = int(choice)
    if 1 <= index <= len(options):
        return options[index - 1]["payload"]
    return None


def is_more_request(text: str) -> bool:
    return (text or "").strip() in MORE_KEYWORDS


def _nbytes(text: str) -> int:
    return len(text.encode("utf-8"))


def _cut(text: str, limit: int) -> Tuple[str, str]:
    """Longest head of `text` within `limit` bytes, preferring a natural break."""
    if _nbytes(text) <= limit:
        return text, ""
    # Never split inside a UTF-8 sequence: decode what fits, ignoring the tail.
    head = text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")
    for sep in ("\n\n", "\n", "。", "；", "，", " "):
        pos = head.rfind(sep)
        if pos > len(head) // 3:  # a break too early would waste the message
            head = head[: pos + len(sep)]
            break
    return head.rstrip(), text[len(head):].lstrip()


def split_reply(text: str, limit: int = MAX_REPLY_BYTES) -> List[str]:
    """Cut `text` into parts of at most `limit` bytes; all but the last one
    already carry the "回复更多" hint, so each part can be sent as is."""
    text = text.strip()
    if _nbytes(text) <= limit:
        return [text] if text else []
    room = limit - _nbytes("\n\n" + MORE_HINT)
    parts: List[str] = []
    rest = text
    while rest:
        if _nbytes(rest) <= limit and parts:
            parts.append(rest)
            break
        head, rest = _cut(rest, room)
        parts.append(head + "\n\n" + MORE_HINT if rest else head)
    return parts
