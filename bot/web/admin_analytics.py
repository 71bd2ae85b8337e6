"""管理后台：需求分析 (demand analytics) — what owners ask, read from Rasa's own tracker store.

The figures are computed by bot.rasa.analytics; this module finds the events table, runs the
report in the executor and renders it (page and CSV).
"""
from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from sanic import response
from sanic.request import Request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from bot.rasa import analytics, conversations
from bot.web.admin_common import common
from bot.web.auth import login_required, run_db
from bot.web.render import render
from policies_kb import clock, queries
from policies_kb.db import session_scope
from policies_kb.models import Policy

logger = logging.getLogger(__name__)


def _analytics(engine, days: int) -> Dict[str, Any]:
    today = queries.today()
    since = dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time(), clock.timezone())
    events = analytics.load_events(engine, since)
    with session_scope() as session:
        policies = [dict(row.data, status=row.status) for row in session.scalars(select(Policy))]
    return analytics.build_report(events, policies=policies, today=today, days=days)


def _days(request: Request) -> int:
    value = request.args.get("days") or "30"
    return min(max(int(value), 1), 366) if value.isdigit() else 30


async def _report(request: Request) -> Tuple[Optional[Dict[str, Any]], str]:
    engine = conversations.tracker_engine(getattr(request.app.ctx, "agent", None))
    if engine is None:
        return None, "对话记录没有存入 SQL 数据库（endpoints.yml 的 tracker_store），暂时无法统计。"
    try:
        return await run_db(_analytics, engine, _days(request)), ""
    except SQLAlchemyError:  # the page still opens and says why the figures are missing
        logger.exception("admin analytics: reading the tracker store failed")
        return None, "读取对话记录失败，详情见服务器日志。"


@login_required(role="admin")
async def analytics_page(request: Request):
    report, problem = await _report(request)
    chart_lib = (Path(__file__).with_name("static") / "vendor" / "chart.umd.js").exists()
    return render(request, "admin/analytics.html", report=report, problem=problem, days=_days(request),
                  chart_lib=chart_lib, tables=analytics.CSV_TABLES, **common())


@login_required(role="admin")
async def analytics_csv(request: Request):
    table = request.args.get("table") or "daily"
    if table not in analytics.CSV_TABLES:
        return render(request, "error.html", status=404, title="没有这张表", message=f"可导出：{'、'.join(analytics.CSV_TABLES)}")
    report, problem = await _report(request)
    if report is None:
        return render(request, "error.html", status=503, title="暂时无法统计", message=problem)
    name = f"{table}-{report['since']}-{report['until']}.csv"
    return response.raw(analytics.to_csv(report, table).encode("utf-8"), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
