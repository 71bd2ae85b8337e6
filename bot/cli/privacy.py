"""`python -m bot privacy purge`: the retention job on the conversation database."""
from __future__ import annotations

import datetime as dt
import sys

from bot.rasa import privacy
from policies_kb import clock
from policies_kb.db import get_engine


def cmd_privacy_purge(args) -> int:
    try:
        days = privacy.retention_days(None if args.days is None else str(args.days))
    except ValueError as exc:
        print(f"✗ {exc}（--days 或 {privacy.RETENTION_ENV}）", file=sys.stderr)
        return 2
    from bot.rasa.tracker_store import database_url  # imports Rasa: only for this command

    url = database_url()  # TRACKER_DB_URL, else the embedded var/tracker.db, as the Rasa server
    cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)
    count = privacy.purge_events(get_engine(url), older_than=cutoff, dry_run=args.dry_run)
    when = clock.local_time(cutoff)
    if args.dry_run:
        print(f"（演练）将删除 {count} 条 {when}（北京时间）之前的对话事件，保留最近 {days} 天；未做任何改动")
    else:
        print(f"✓ 已删除 {count} 条 {when}（北京时间）之前的对话事件，保留最近 {days} 天")
    return 0


def add_parsers(sub) -> None:
    privacy = sub.add_parser("privacy", help="个人信息保护").add_subparsers(dest="privacy_command", required=True)
    p = privacy.add_parser("purge", help="删除超过保留期的对话记录（TRACKER_DB_URL 的 events 表）")
    p.add_argument("--days", type=int, help="保留天数；默认 ZCT_RETENTION_DAYS，未设置则 180")
    p.add_argument("--dry-run", action="store_true", help="只统计，不删除")
    p.set_defaults(func=cmd_privacy_purge)
