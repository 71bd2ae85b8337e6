"""The WeChat sender for the handoff queue: the channel's client (one per process, one token)."""
from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def wechat_configured() -> bool:
    return wechat_client() is not None


def wechat_client():
    """The process's WeChat client, shared with the channel (None when not configured)."""
    from bot.channels.wechat_client import shared_client

    return shared_client()


class ReplyRefused(Exception):
    """The reply could not be delivered; the message is shown to the operator."""


async def send(openid: str, text: str) -> None:
    """One WeChat text to `openid`; ReplyRefused says why it did not go out."""
    client = wechat_client()
    if client is None:
        raise ReplyRefused("微信公众号未配置（缺少 WECHAT_APPID / WECHAT_SECRET），回复无法发送到微信。"
                           "请联系管理员配置，或电话联系该用户。")
    from bot.channels.wechat_client import WeChatAPIError

    try:
        await client.send_text(openid, text)
    except WeChatAPIError as exc:
        logger.warning("wechat: message to %s refused: %s", openid, exc)
        raise ReplyRefused(f"微信发送失败：{exc}") from None
    except Exception as exc:  # network errors: say so, keep the draft
        logger.exception("wechat: message to %s failed", openid)
        raise ReplyRefused(f"微信发送失败（网络错误：{type(exc).__name__}），请稍后重试。") from None
