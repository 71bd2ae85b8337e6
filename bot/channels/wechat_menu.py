"""bot/wechat_menu.yml: the official account's custom menu plus the channel's
fixed texts. Kept free of Rasa imports so the menu CLI starts fast."""
import copy
import logging
import os
from pathlib import Path
from typing import Any, Dict, Optional

import yaml

logger = logging.getLogger(__name__)

MENU_FILE = Path(__file__).resolve().parent.parent / "wechat_menu.yml"

# Our own keys on click buttons; WeChat must not see them.
LOCAL_KEYS = ("intent", "reply")

DEFAULT_TEXTS = {
    "welcome": "您好，欢迎关注政策通！我可以帮您查找惠企政策、解答政策问题。支持文字和语音消息。",
    "unsupported": "抱歉，我目前只能看懂文字和语音消息。请直接输入您的问题。",
    "voice_unrecognized": "抱歉，没能识别您的语音，请再说一遍，或直接输入文字。",
    "unknown_menu": "该菜单暂不可用，请直接发送您的问题。",
    "error": "抱歉，系统繁忙，请稍后再试。",
}


def menu_path() -> Path:
    return Path(os.environ.get("WECHAT_MENU_FILE") or MENU_FILE)


def load_config(path: Optional[Path] = None) -> Dict[str, Any]:
    """Parse the YAML; raise ValueError with a readable message if it's wrong."""
    path = path or menu_path()
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("menu", {}), dict):
        raise ValueError(f"{path}: expected a mapping with 'menu' and 'texts'")
    buttons = (data.get("menu") or {}).get("button")
    if buttons is not None and not isinstance(buttons, list):
        raise ValueError(f"{path}: menu.button must be a list")
    return data


def _buttons(menu: Dict[str, Any]):
    for button in menu.get("button") or []:
        yield button
        yield from button.get("sub_button") or []


def click_actions(config: Dict[str, Any]) -> Dict[str, Dict[str, str]]:
    """EventKey -> {"intent": ...} or {"reply": ...} for click buttons."""
    actions = {}
    for button in _buttons(config.get("menu") or {}):
        if button.get("type") == "click" and button.get("key"):
            actions[str(button["key"])] = {
                k: str(button[k]) for k in LOCAL_KEYS if button.get(k)
            }
    return actions


def texts(config: Dict[str, Any]) -> Dict[str, str]:
    merged = dict(DEFAULT_TEXTS)
    merged.update({k: str(v) for k, v in (config.get("texts") or {}).items() if v})
    return merged


def menu_for_api(config: Dict[str, Any]) -> Dict[str, Any]:
    """The menu exactly as WeChat's menu/create expects it."""
    menu = copy.deepcopy(config.get("menu") or {})
    for button in _buttons(menu):
        for key in LOCAL_KEYS:
            button.pop(key, None)
    if not menu.get("button"):
        raise ValueError("menu.button is empty")
    return menu
