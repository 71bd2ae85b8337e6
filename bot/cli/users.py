"""`python -m bot users …`: console accounts.

    users add NAME --role staff|admin   password from stdin (one line) or asked twice
    users list
    users passwd NAME                   new password, ends the user's open sessions
    users disable NAME / users enable NAME
    users unlock NAME                   forget recent failed logins (lock-out)

There is no default password: without one on stdin or at the prompt nothing is created.
Exit codes: 0 ok, 1 refused (e.g. duplicate name), 2 bad input.
"""
from __future__ import annotations

import argparse
import getpass
import sys
from typing import List, Optional

from bot.web import accounts, lockout
from bot.web.db import migrate
from policies_kb.db import session_scope


def read_password(stdin=None) -> str:
    """First line of piped stdin, or typed twice at a hidden prompt."""
    stdin = stdin or sys.stdin
    if not stdin.isatty():
        line = stdin.readline().rstrip("\r\n")
        line.encode("utf-8")  # UnicodeEncodeError if the bytes were not UTF-8 (surrogateescape)
        return line
    first = getpass.getpass("密码：")
    if getpass.getpass("再输入一次：") != first:
        raise accounts.UserError("两次输入的密码不一致")
    return first


def cmd_add(args) -> int:
    password = read_password()
    with session_scope() as session:
        user = accounts.create_user(session=session, username=args.name, password=password, role=args.role)
        print(f"✓ 已创建用户 {user.username}（{accounts.ROLE_NAMES[user.role]}）")
    return 0


def cmd_list(args) -> int:
    with session_scope() as session:
        users = accounts.list_users(session=session)
        if not users:
            print("（还没有用户；用 python -m bot users add NAME --role admin 创建）")
        for user in users:
            last = f"{user.last_login_at:%Y-%m-%d %H:%M}" if user.last_login_at else "从未登录"
            state = "启用" if user.active else "停用"
            print(f"{user.username}\t{user.role}\t{state}\t最近登录 {last}")
    return 0


def cmd_passwd(args) -> int:
    password = read_password()
    with session_scope() as session:
        accounts.set_password(session=session, username=args.name, password=password)
    print(f"✓ 已修改 {args.name} 的密码（已登录的会话全部失效）")
    return 0


def cmd_disable(args) -> int:
    with session_scope() as session:
        accounts.set_active(session=session, username=args.name, active=args.command == "enable")
    print(f"✓ 已{'启用' if args.command == 'enable' else '停用'} {args.name}")
    return 0


def cmd_unlock(args) -> int:
    with session_scope() as session:
        count = lockout.unlock(session=session, username=args.name)
    print(f"✓ 已解锁 {args.name}（清除 {count} 次失败记录）")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot users", description="坐席台账号管理")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("add", help="新建账号（密码从标准输入读取或两次输入）")
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=sorted(accounts.ROLES))
    p.set_defaults(func=cmd_add)
    sub.add_parser("list", help="列出账号").set_defaults(func=cmd_list)
    for name, func, text in (("passwd", cmd_passwd, "修改密码"), ("disable", cmd_disable, "停用账号"),
                             ("enable", cmd_disable, "重新启用账号"), ("unlock", cmd_unlock, "解除登录锁定")):
        p = sub.add_parser(name, help=text)
        p.add_argument("name")
        p.set_defaults(func=func)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        migrate()
        return args.func(args)
    except accounts.UserError as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return 2 if args.command != "add" or "已存在" not in str(exc) else 1
    except (EOFError, KeyboardInterrupt):
        print("\n✗ 已取消", file=sys.stderr)
        return 2
    except UnicodeError:  # strict stdin decoding, or surrogates from surrogateescape
        print("✗ 输入的密码不是 UTF-8 编码，没有做任何改动", file=sys.stderr)
        return 2
