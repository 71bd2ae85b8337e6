"""`python -m bot wechat ...`: WeChat official-account chores.

    python -m bot wechat menu publish [--file bot/wechat_menu.yml] [--dry-run]

Publishes the custom menu from bot/wechat_menu.yml (POST /cgi-bin/menu/create)
using WECHAT_APPID / WECHAT_SECRET / WECHAT_API_BASE from the environment.
"""
import argparse
import json
import sys
from pathlib import Path
from typing import List, Optional

import requests

from bot.channels import wechat_menu
from bot.channels.wechat_client import WeChatAPIError, WeChatClient


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot wechat", description="微信公众号管理命令")
    sub = parser.add_subparsers(dest="group", required=True)
    menu = sub.add_parser("menu", help="自定义菜单")
    menu_sub = menu.add_subparsers(dest="action", required=True)
    publish = menu_sub.add_parser("publish", help="按 bot/wechat_menu.yml 创建公众号菜单")
    publish.add_argument("--file", type=Path, default=None, help="菜单文件（默认 bot/wechat_menu.yml）")
    publish.add_argument("--dry-run", action="store_true", help="只打印将要发布的菜单 JSON")
    return parser


def publish_menu(path: Optional[Path], dry_run: bool) -> int:
    try:
        menu = wechat_menu.menu_for_api(wechat_menu.load_config(path))
    except ValueError as exc:
        print(f"菜单文件有误：{exc}", file=sys.stderr)
        return 1
    if dry_run:
        print(json.dumps(menu, ensure_ascii=False, indent=2))
        return 0
    try:
        client = WeChatClient.from_env()
    except ValueError:
        print("缺少环境变量 WECHAT_APPID / WECHAT_SECRET，无法调用微信接口。", file=sys.stderr)
        return 1
    try:
        client.create_menu(menu)
    except WeChatAPIError as exc:
        print(f"发布菜单失败：微信返回 errcode={exc.errcode} {exc.errmsg}", file=sys.stderr)
        if exc.errcode in wechat_menu_hints:
            print(wechat_menu_hints[exc.errcode], file=sys.stderr)
        else:
            print(str(exc), file=sys.stderr)
        return 1
    except requests.RequestException as exc:
        print(f"发布菜单失败：无法连接 {client.api_base}（{exc.__class__.__name__}）", file=sys.stderr)
        return 1
    count = len(menu["button"])
    print(f"菜单已发布（{count} 个一级菜单）。微信客户端约 5 分钟内生效，可取消关注后重新关注立即查看。")
    return 0


# menu/create specific errors (the generic ones are in wechat_client.ERROR_HINTS)
wechat_menu_hints = {
    40016: "按钮个数不合法：一级菜单 1～3 个，二级菜单 1～5 个。",
    40017: "按钮类型不合法（type 应为 click、view 等）。",
    40018: "按钮名称过长：一级菜单不超过 4 个汉字，二级菜单不超过 8 个汉字。",
    40019: "按钮 KEY 过长（不超过 128 字节）。",
    40020: "按钮 URL 过长（不超过 1024 字节）。",
    40055: "按钮 URL 不合法（需 http:// 或 https:// 开头）。",
    40164: "调用方 IP 不在公众号后台「基本配置 → IP 白名单」中。",
    48001: "公众号没有自定义菜单接口权限。",
}


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage/error
        return int(exc.code or 0)
    if args.group == "menu" and args.action == "publish":
        return publish_menu(args.file, args.dry_run)
    return 2


if __name__ == "__main__":
    sys.exit(main())
