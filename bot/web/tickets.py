"""工单: the record of a hotline call — numbered, saved in the policies database, listed with the
caller's phone masked, found by phone (the caller's history), exported as CSV for the
hotline's own system. 诉求类别 and 承办部门 come from data/hotline/ticket_options.yml."""
from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List

import yaml
from sanic import response
from sanic.request import Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.web import auth, records, render
from bot.web.body import BadBody, parse_json
from bot.web.records import Ticket
from policies_kb import clock
from policies_kb.db import session_scope
from policies_kb.report_csv import neutralise

logger = logging.getLogger(__name__)

OPTIONS_PATH = Path(__file__).resolve().parents[2] / "data" / "hotline" / "ticket_options.yml"
OUTCOMES = ("办结", "转办")
PAGE_SIZE = 50
_PHONE = re.compile(r"^[0-9]{3,20}$")


class TicketError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


@lru_cache(maxsize=1)
def options() -> Dict[str, List[str]]:
    """{"categories": [...], "departments": [...]} from the data file (read once per process)."""
    data = yaml.safe_load(OPTIONS_PATH.read_text(encoding="utf-8")) or {}
    return {"categories": [str(c) for c in data.get("categories") or []],
            "departments": [str(d) for d in data.get("departments") or []], "outcomes": list(OUTCOMES)}


def digits(phone: Any) -> str:
    return re.sub(r"[\s\-－()（）+]", "", str(phone or ""))


def mask_phone(phone: str) -> str:
    """138****5678; a short number keeps only its last 4 digits visible."""
    if len(phone) >= 11:
        return phone[:3] + "****" + phone[-4:]
    return "*" * max(0, len(phone) - 4) + phone[-4:]


def mask_name(name: str) -> str:
    return (name[:1] + "*" * (len(name) - 1)) if name else ""


def validate(raw: Dict[str, Any]) -> Dict[str, Any]:
    """The 工单 fields an operator fills, checked; TicketError names the field."""
    opts = options()
    name = str(raw.get("caller_name") or "").strip()[:80]
    phone = digits(raw.get("caller_phone"))
    if not _PHONE.match(phone):
        raise TicketError("caller_phone", "请填写来电号码（3–20 位数字）")
    category = str(raw.get("category") or "").strip()
    if category not in opts["categories"]:
        raise TicketError("category", "请选择诉求类别")
    outcome = str(raw.get("outcome") or "").strip()
    if outcome not in OUTCOMES:
        raise TicketError("outcome", "请选择办结或转办")
    department = str(raw.get("department") or "").strip()[:200]
    if outcome == "转办" and not department:
        raise TicketError("department", "转办须填写承办部门")
    follow = str(raw.get("follow_up_on") or "").strip()
    follow_up_on = None
    if follow:
        try:
            follow_up_on = dt.date.fromisoformat(follow)
        except ValueError:
            raise TicketError("follow_up_on", "回访日期格式应为 年-月-日") from None
    return {"caller_name": name, "caller_phone": phone, "category": category, "outcome": outcome,
            "department": department, "follow_up_on": follow_up_on}


def create_ticket(*, session: Session, operator: str, fields: Dict[str, Any], question: str, answer: str,
                  policies: List[Dict[str, str]], profile: Dict[str, Any], kb_version: str,
                  call_id: str = "") -> Ticket:
    row = Ticket(operator=operator, call_id=call_id or None, question=question, answer=answer, policies=policies,
                 profile=profile, kb_version=kb_version, created_at=records.utcnow(), **fields)
    session.add(row)
    session.flush()
    # 工单编号: the local date and the row id — unique, sortable, readable over the phone.
    row.number = f"{clock.local_time(row.created_at, '%Y%m%d')}{row.id:06d}"
    return row


def find_tickets(*, session: Session, phone: str = "", page: int = 1) -> Dict[str, Any]:
    """Newest first; `phone` (4+ digits) matches anywhere in the caller's number."""
    query = select(Ticket)
    wanted = digits(phone)
    if wanted:
        query = query.where(Ticket.caller_phone == wanted) if len(wanted) >= 11 else \
            query.where(Ticket.caller_phone.contains(wanted))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar()
    rows = session.execute(query.order_by(Ticket.id.desc()).offset((page - 1) * PAGE_SIZE)
                           .limit(PAGE_SIZE)).scalars().all()
    return {"total": total, "rows": [ticket_dict(r) for r in rows], "page": page,
            "pages": max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)}


def ticket_dict(row: Ticket, masked: bool = True) -> Dict[str, Any]:
    return {"id": row.id, "number": row.number, "created_at": clock.local_time(row.created_at),
            "operator": row.operator, "caller_name": mask_name(row.caller_name) if masked else row.caller_name,
            "caller_phone": mask_phone(row.caller_phone) if masked else row.caller_phone,
            "category": row.category, "question": row.question, "answer": row.answer,
            "policies": row.policies or [], "outcome": row.outcome, "department": row.department,
            "follow_up_on": row.follow_up_on.isoformat() if row.follow_up_on else "", "kb_version": row.kb_version}


CSV_COLUMNS = [("number", "工单编号"), ("created_at", "受理时间（北京时间）"), ("operator", "坐席"),
               ("caller_name", "来电人"), ("caller_phone", "来电号码"), ("category", "诉求类别"),
               ("question", "来电诉求"), ("answer", "答复内容"), ("policies", "引用政策（文号）"),
               ("outcome", "办理结果"), ("department", "承办部门"), ("follow_up_on", "回访日期")]


def export_csv(*, session: Session, phone: str = "") -> str:
    """Every matching 工单, unmasked (for the hotline's own system), safe to open in Excel."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _, title in CSV_COLUMNS])
    query = select(Ticket).order_by(Ticket.id)
    if digits(phone):
        query = query.where(Ticket.caller_phone.contains(digits(phone)))
    for row in session.execute(query).scalars():
        d = ticket_dict(row, masked=False)
        d["policies"] = "；".join(f"{p['name']}（{p.get('doc_no') or '无文号'}）" for p in d["policies"])
        writer.writerow([neutralise(str(d[key] or "")) for key, _ in CSV_COLUMNS])
    return "\ufeff" + out.getvalue()


# ---- routes --------------------------------------------------------------------------------

async def _state_for_ticket(request: Request, body: Dict[str, Any]) -> Dict[str, Any]:
    """Question, answer and cited policies recomputed on the server from the call's state."""
    from bot.web import call
    from bot.web.call_form import clean_turns, picked_ids
    from policies_kb import present
    from policies_kb import profile as profile_mod

    profile = profile_mod.validate_profile(body.get("profile") or {})
    topic = body.get("topic") if body.get("topic") in present.INTENT_FAMILIES else ""
    turns = [t["text"] for t in clean_turns(body.get("turns"))]
    report = await call.run_match(profile)
    view = call.build_view(request, report, topic=topic, turns=turns, picked=picked_ids(body.get("picked")),
                           department=str(body.get("department") or ""))
    return {"question": "；".join(turns) or "（未记录）", "answer": view["script"], "policies": view["cited"],
            "profile": profile, "kb_version": report.kb_version}


@auth.login_required()
async def api_save(request: Request):
    """{"call_id", "ticket": {...}, "department", "profile", "topic", "turns", "picked"} → 工单编号."""
    from policies_kb.profile import ProfileError

    try:
        body = parse_json(request.body)
        if not isinstance(body, dict):
            raise BadBody("body", "请求体应为 JSON 对象")
        fields = validate({**(body.get("ticket") or {}), "department": body.get("department")})
        computed = await _state_for_ticket(request, body)
    except (BadBody, TicketError, ProfileError) as exc:
        return render.json({"error": "invalid_ticket", "field": exc.field, "message": exc.message}, status=400)
    user, call_id = request.ctx.user, str(body.get("call_id") or "")[:40]

    def save():
        with session_scope() as session:
            row = create_ticket(session=session, operator=user.username, fields=fields, call_id=call_id, **computed)
            if call_id:
                records.close_draft(session=session, user_id=user.id, call_id=call_id)
            return ticket_dict(row)
    saved = await auth.run_db(save)
    logger.info("ticket %s saved by %s", saved["number"], user.username)
    return render.json({"ticket": saved, "link": f"/console/tickets?phone={fields['caller_phone']}"})


@auth.login_required()
async def api_history(request: Request):
    """The caller's earlier 工单, for the call page (by the phone being typed)."""
    phone = digits(request.args.get("phone"))
    if len(phone) < 7:
        return render.json({"rows": [], "html": ""})

    def load():
        with session_scope() as session:
            return find_tickets(session=session, phone=phone)
    found = await auth.run_db(load)
    return render.json({"total": found["total"],
                        "html": render.render_string(request, "hotline/_history.html", rows=found["rows"][:5],
                                                     total=found["total"], phone=phone)})


@auth.login_required()
async def tickets_page(request: Request):
    phone = digits(request.args.get("phone"))[:20]
    try:
        page = max(1, int(request.args.get("page") or 1))
    except ValueError:
        page = 1

    def load():
        with session_scope() as session:
            return find_tickets(session=session, phone=phone, page=page)
    found = await auth.run_db(load)
    return render.render(request, "hotline/tickets.html", phone=phone, **found)


@auth.login_required()
async def ticket_view(request: Request):
    try:
        ticket_id = int(request.args.get("id") or 0)
    except ValueError:
        ticket_id = 0

    def load():
        with session_scope() as session:
            row = session.get(Ticket, ticket_id)
            return ticket_dict(row, masked=False) if row else None
    found = await auth.run_db(load)
    if found is None:
        return render.error_page(request, 404, "没有这张工单", "工单不存在，请回到工单列表。")
    logger.info("ticket %s opened by %s", found["number"], request.ctx.user.username)
    return render.render(request, "hotline/ticket.html", t=found)


@auth.login_required()
async def tickets_export(request: Request):
    phone = digits(request.args.get("phone"))[:20]

    def load():
        with session_scope() as session:
            return export_csv(session=session, phone=phone)
    text = await auth.run_db(load)
    logger.info("tickets exported by %s (phone filter %r)", request.ctx.user.username, phone)
    name = f"工单-{clock.local_time(dt.datetime.now(dt.timezone.utc), '%Y%m%d-%H%M')}.csv"
    return response.raw(text.encode("utf-8"), content_type="text/csv; charset=utf-8",
                        headers={**render.SECURITY_HEADERS,
                                 "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(name)}"})


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)
