"""The WeChat sender for the handoff queue: one customer-service client per process."""
from __future__ import annotations

import os
from typing import Any, Dict, Tuple


def wechat_configured() -> bool:
    return bool(os.environ.get("WECHAT_APPID") and os.environ.get("WECHAT_SECRET"))


_wechat_clients: Dict[Tuple[str, str], Any] = {}


def wechat_client():
    """One WeChatClient per process (it caches the access_token); None when not configured."""
    from bot.channels.wechat_client import WeChatClient

    if not wechat_configured():
        return None
    key = (os.environ["WECHAT_APPID"], os.environ.get("WECHAT_API_BASE", ""))
    if key not in _wechat_clients:
        _wechat_clients[key] = WeChatClient.from_env()
    return _wechat_clients[key]
