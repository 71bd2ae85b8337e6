"""`python -m bot …`: the project's command line, one module per command family.

kb / match (bot.cli.kb), privacy (bot.cli.privacy), users (bot.cli.users), wechat (bot.cli.wechat),
chat (bot.cli.chat), nlu-eval (bot.cli.nlu_eval).
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from bot.cli import kb, privacy


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="政策通 命令行",
                                     epilog="其他命令：users（控制台账号）、wechat（公众号菜单）、chat（终端对话）、"
                                            "nlu-eval（NLU 评测），各自用 --help 查看。")
    sub = parser.add_subparsers(dest="command", required=True)
    kb.add_parsers(sub)
    privacy.add_parsers(sub)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["wechat"]:
        from bot.cli import wechat

        return wechat.main(argv[1:])
    if argv[:1] == ["chat"]:
        from bot.cli import chat

        return chat.main(argv[1:])
    if argv[:1] == ["nlu-eval"]:
        from bot.cli import nlu_eval

        return nlu_eval.main(argv[1:])
    if argv[:1] == ["users"]:
        from bot.cli import users

        return users.main(argv[1:])
    args = build_parser().parse_args(argv)
    return args.func(args)
