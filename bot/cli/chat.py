"""A terminal chat with the running bot over its REST channel (`make shell`)."""
from __future__ import annotations

import argparse
import uuid

import requests

from bot.settings import Settings


def render(message: dict) -> str:
    text = message.get("text") or ""
    for i, button in enumerate(message.get("buttons") or [], 1):
        text += f"\n  {i}. {button['title']}"
    return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot chat")
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--sender", default=f"shell-{uuid.uuid4().hex[:8]}")
    args = parser.parse_args(argv)
    # Production REST needs the channel's token (bot/channels/rest.py).
    token = Settings.from_env().rest_token
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    print("政策通（输入 /quit 退出；回复数字选择按钮）")
    buttons: list = []
    while True:
        try:
            text = input("您：").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if text in ("/quit", "/exit"):
            return 0
        if text.isdigit() and 0 < int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        try:
            reply = requests.post(f"{args.url}/webhooks/rest/webhook",
                                  json={"sender": args.sender, "message": text}, headers=headers, timeout=30)
            reply.raise_for_status()
        except requests.RequestException as exc:
            print(f"（连不上机器人：{exc}。先在另一个终端运行 make run）")
            continue
        buttons = []
        for message in reply.json():
            buttons = message.get("buttons") or buttons
            print(f"政策通：{render(message)}")
