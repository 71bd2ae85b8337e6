"""`python -m bot kb …` and `python -m bot match …`: the knowledge base from the command line.

`kb import` is the deploy path (the repository's files, live at once, as `make kb` runs it);
`kb publish` approves a version waiting for review and, like the console, refuses its author;
`kb rollback` follows the console's one-click rule (policies_kb.workflow.live_stack).

Exit codes: 0 ok, 1 failure (e.g. invalid knowledge-base files), 2 bad input (a file that
cannot be read: not UTF-8, over the size limits, missing).
"""
from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import List

from policies_kb import loader, queries, workflow
from bot.web.db import migrate  # every table, old databases adopted: `make kb` migrates it all
from policies_kb.db import session_scope
from policies_kb.profile import ProfileError


def _print_json(data) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _paths(args) -> List[Path]:
    if not args.paths:
        return loader.policy_files()
    out: List[Path] = []
    for p in map(Path, args.paths):
        out += sorted(p.rglob("*.yml")) if p.is_dir() else [p]
    return out


def _exit_code(errors) -> int:
    return 2 if any(e.unreadable for e in errors) else 1


def cmd_validate(args) -> int:
    docs, errors = loader.read_files(_paths(args))
    errors += loader.validate_docs(docs)
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        print(f"✗ {len(errors)} 个错误，共检查 {len(docs)} 个文件", file=sys.stderr)
        return _exit_code(errors)
    print(f"✓ {len(docs)} 条政策全部通过校验")
    return 0


def cmd_import(args) -> int:
    migrate()
    try:
        with session_scope() as session:
            report = workflow.import_files(session=session, paths=_paths(args), actor=args.actor, why=args.why)
    except workflow.KbValidationError as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        print(f"✗ 导入取消：{len(exc.errors)} 个错误，数据库没有任何改动", file=sys.stderr)
        return _exit_code(exc.errors)
    print(f"✓ 导入完成：新增 {len(report['created'])}，更新 {len(report['updated'])}，未变 {len(report['unchanged'])}")
    return 0


def cmd_export(args) -> int:
    migrate()
    with session_scope() as session:
        written = queries.export(session=session, dest=Path(args.dest),
                               statuses=("published", "draft", "retired") if args.all else ("published",))
    print(f"✓ 导出 {len(written)} 个文件到 {args.dest}")
    return 0


def cmd_diff(args) -> int:
    migrate()
    with session_scope() as session:
        result = queries.file_diff(session=session, root=Path(args.root))
    if args.json:
        _print_json(result)
    else:
        for pid in result["only_in_files"]:
            print(f"+ {pid}（只在文件中，尚未导入）")
        for pid in result["only_in_db"]:
            print(f"- {pid}（只在数据库中）")
        for pid, keys in result["changed"].items():
            print(f"~ {pid}：{', '.join(keys)}")
        for error in result["errors"]:
            print(f"! {error}")
        print("✓ 文件与数据库一致" if result["in_sync"] else "✗ 文件与数据库不一致")
    return 0 if result["in_sync"] else 1


def cmd_publish(args) -> int:
    migrate()
    try:
        with session_scope() as session:
            workflow.publish(session=session, policy_id=args.policy_id, version=args.version, actor=args.actor,
                             why=args.why)
    except workflow.KbStateError as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return 1
    print(f"✓ 已发布 {args.policy_id} 第 {args.version} 版")
    return 0


def cmd_rollback(args) -> int:
    migrate()
    try:
        with session_scope() as session:
            row = workflow.rollback(session=session, policy_id=args.policy_id, actor=args.actor, why=args.why,
                                 to_version=args.to)
            version = row.version
    except workflow.KbStateError as exc:
        print(f"✗ {exc}", file=sys.stderr)
        return 1
    print(f"✓ {args.policy_id} 已回滚到第 {version} 版")
    return 0


def cmd_history(args) -> int:
    migrate()
    with session_scope() as session:
        rows = queries.versions(session=session, policy_id=args.policy_id)
        target = workflow.rollback_target(session=session, policy_id=args.policy_id)
        for v in rows:
            print(f"v{v.version}\t{v.state}\t{v.created_at:%Y-%m-%d %H:%M}\t{v.created_by}\t{v.note}")
    if target:
        print(f"一键回滚（kb rollback 不带 --to）将恢复第 {target} 版")
    return 0 if rows else 1


def cmd_match(args) -> int:
    from policies_kb.matcher import match

    try:
        profile = json.loads(Path(args.profile).read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        print(f"✗ 画像文件 {args.profile} 不是 UTF-8 编码（第 {exc.start + 1} 个字节无法识别），"
              "请另存为 UTF-8 后重试", file=sys.stderr)
        return 2
    except (OSError, ValueError, RecursionError) as exc:
        print(f"✗ 画像文件 {args.profile} 无法读取：{exc}", file=sys.stderr)
        return 2
    try:
        as_of = dt.date.fromisoformat(args.as_of) if args.as_of else None
    except ValueError:
        print(f"✗ --as-of 日期格式应为 YYYY-MM-DD，收到 {args.as_of}", file=sys.stderr)
        return 2
    try:
        report = match(profile, as_of)
    except ProfileError as exc:
        if args.json:
            _print_json(exc.to_dict())
        print(f"✗ 画像字段 {exc.field} 有误：{exc.message}", file=sys.stderr)
        return 2
    if args.json:
        _print_json(report.to_dict())
        return 0
    print(f"日期 {report.as_of}，知识库 {report.kb_version}")
    for result in report.results:
        d = result.to_dict()
        print(f"[{d['status_name']}] {d['name']}（{'、'.join(d['doc_numbers'][:1])}，有效期至 {d['valid_until']}）")
        for line in d["reasons"][:3]:
            print(f"    {line}")
    if report.next_question:
        print(f"下一个问题：{report.next_question['question']}")
    return 0


def add_parsers(sub) -> None:
    """`kb …` and `match` on the top-level parser's subcommands."""
    kb = sub.add_parser("kb", help="知识库管理").add_subparsers(dest="kb_command", required=True)
    for name, func, text in (("validate", cmd_validate, "校验政策文件"), ("import", cmd_import, "导入政策文件（全部成功或全部不导入）")):
        p = kb.add_parser(name, help=text)
        p.add_argument("paths", nargs="*", help="文件或文件夹；默认 policies_kb/policies/")
        p.set_defaults(func=func)
        if name == "import":
            p.add_argument("--actor", default="cli")
            p.add_argument("--why", default="")
    p = kb.add_parser("export", help="导出已发布政策为 YAML")
    p.add_argument("dest")
    p.add_argument("--all", action="store_true", help="含草稿和已废止")
    p.set_defaults(func=cmd_export)
    p = kb.add_parser("diff", help="比较文件与数据库")
    p.add_argument("--root", default=str(loader.POLICY_DIR))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_diff)
    for name, func in (("publish", cmd_publish), ("rollback", cmd_rollback)):
        p = kb.add_parser(name, help="审核发布一个待审核的版本（不能是自己提交的）" if name == "publish"
                          else "立即回滚到更早的版本（记入审计日志）")
        p.add_argument("policy_id")
        if name == "publish":
            p.add_argument("version", type=int)
        else:
            p.add_argument("--to", type=int, help="目标版本；默认与后台“一键回滚”相同：当前版本上线前的那一版")
        p.add_argument("--actor", default="cli")
        p.add_argument("--why", default="")
        p.set_defaults(func=func)
    p = kb.add_parser("history", help="列出政策的所有版本")
    p.add_argument("policy_id")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("match", help="用画像匹配政策")
    p.add_argument("--profile", required=True, help="画像 JSON 文件")
    p.add_argument("--as-of", help="匹配日期 YYYY-MM-DD，默认今天")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_match)
