"""呼叫助手 (call assistant): the operator types what the caller says; the running Rasa model
parses it, policies_kb.normalize turns entities into the profile, the matcher answers and
policies_kb.present words the spoken script. Every change is kept server-side as the call's
draft (bot/web/records.py), so F5, a crash or a new login lose nothing."""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from typing import Any, Dict, List, Optional

from sanic import response
from sanic.request import Request

from bot.web import auth, records, render
from bot.web.body import BadBody, parse_json
from bot.web.call_form import (MAX_TEXT, NONE_OF_THESE, clean_ticket, clean_turns, entity_title, form_fields,
                               intent_label, merge_profile, picked_ids, profile_from_form, slots_from_entities,
                               topic_label, topic_options)
from policies_kb import clock, lookup, matcher, normalize, present, spoken
from policies_kb import profile as profile_mod
from policies_kb.db import session_scope
from policies_kb.matcher import ELIGIBLE, EXPIRED, INELIGIBLE, POSSIBLE, STATUS_NAMES, MatchReport
from policies_kb.profile import ProfileError

MAX_ASKED = 6           # policies named in one call that the script answers
HOW_TO = re.compile(r"怎么(申请|办|弄|领)|如何(申请|办理)|申请流程|办理流程|材料|去哪(里)?办|在哪(里)?办|哪里办|到哪")


# ---- match → what the page shows ---------------------------------------------------------

def _result_view(result, topic_families) -> Dict[str, Any]:
    d = result.to_dict()
    specs = profile_mod.field_specs()
    d["questions"] = [specs.get(f, {}).get("x-question") or f"请问您的{profile_mod.field_title(f)}是？"
                      for f in result.missing]
    d["on_topic"] = result.record.data["family"] in topic_families
    return d


def default_department(cited) -> str:
    channels = [((r.record.data.get("apply") or {}).get("channel") or "").strip() for r in cited]
    return "；".join(dict.fromkeys(c for c in channels if c)) or "当地政务服务中心"


def asked_policies(report: MatchReport, turns: List[str], picked: List[str]) -> List[str]:
    """Policies the caller named in this call (or the operator looked up for them), newest first."""
    candidates = [r for r in report.results if not r.record.data.get("overlays")]
    named: List[str] = [pid for pid in picked if report.get(pid) is not None]
    for text in reversed(turns):
        # "想贷款" is a topic, not a policy's name: it orders the list but claims nothing.
        named += [r.policy_id for r in present.mentioned(candidates, text, min_len=3)]
    return list(dict.fromkeys(named))[:MAX_ASKED]


def build_view(request: Request, report: MatchReport, *, topic: str, turns: List[str], department: str = "",
               picked: Optional[List[str]] = None, how_to: bool = False) -> Dict[str, Any]:
    """Everything the right-hand side of the call page shows, for HTML and JSON alike."""
    families = present.families_for(topic or None)
    shown = spoken.focused(report, families)
    asked = asked_policies(report, turns, picked or [])
    how_to = how_to or any(HOW_TO.search(t) for t in turns[-2:])
    # The one question decides what the caller asked about when that is open, else the topic.
    named = [report.get(pid) for pid in asked]
    open_named = [r for r in named if r is not None and r.status == POSSIBLE]
    on_topic = [r for r in shown if r.record.data["family"] in families]
    next_q = matcher.next_question(open_named) or matcher.next_question(on_topic) or matcher.next_question(shown)
    groups = []
    for status in (ELIGIBLE, POSSIBLE, INELIGIBLE, EXPIRED):
        items = [_result_view(r, families) for r in shown if r.status == status]
        groups.append({"status": status, "title": STATUS_NAMES[status], "items": items})
    counts = {g["status"]: len(g["items"]) for g in groups}
    script = spoken.spoken_script(report, families, asked=asked, how_to=how_to, question=next_q)
    cited = [r for r in named if r is not None] + [r for r in shown if r.status in (ELIGIBLE, POSSIBLE)
                                                   and r.policy_id not in asked]
    department = (department or "").strip() or default_department(cited[:3])
    user = getattr(request.ctx, "user", None)
    ticket = render.environment().get_template("hotline/ticket.txt").render(
        now=clock.local_time(dt.datetime.now(dt.timezone.utc)), operator=user.username if user else "",
        turns=turns, topic=topic_label(topic), profile=present.profile_summary(report.profile), script=script,
        cited=cited[:6], next_question=next_q, department=department, report=report,
        doc_no=present.doc_no, valid_until=present.valid_until, status_names=STATUS_NAMES)
    return {"groups": groups, "counts": counts, "next_question": next_q, "script": script, "ticket": ticket,
            "department": department, "kb_version": report.kb_version, "as_of": report.as_of.isoformat(),
            "topic": topic, "topic_label": topic_label(topic), "asked": asked, "how_to": how_to,
            "cited": [cited_entry(r) for r in cited[:6]]}


def cited_entry(result) -> Dict[str, str]:
    """A policy as a 工单 cites it: name, 文号, what it meant for this caller."""
    return {"id": result.policy_id, "name": result.record.data["name"], "doc_no": present.doc_no(result),
            "status": STATUS_NAMES[result.status]}


async def run_match(profile: Dict[str, Any]) -> MatchReport:
    # The matcher reads the database synchronously: keep Sanic's loop free.
    return await asyncio.get_running_loop().run_in_executor(None, matcher.match, profile, None)


async def parse_text(request: Request, text: str) -> Dict[str, Any]:
    """The running model's reading of one caller turn: intent, entities, profile values."""
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or not agent.is_ready():
        raise RuntimeError("对话模型尚未加载，暂时不能自动识别；请直接填写右侧画像。")
    parsed = await agent.parse_message(text)
    intent = (parsed.get("intent") or {}).get("name")
    entities = [{"entity": e.get("entity"), "value": e.get("value"), "title": entity_title(e.get("entity"))}
                for e in parsed.get("entities") or []]
    return {"text": text, "intent": intent, "intent_label": intent_label(intent),
            "confidence": round(float((parsed.get("intent") or {}).get("confidence") or 0), 2),
            "entities": entities, "found": normalize.profile_from_slots(slots_from_entities(entities))}


# ---- the call's draft ----------------------------------------------------------------------

def _save_draft(user_id: int, call_id: str, state: Dict[str, Any]) -> bool:
    with session_scope() as session:
        return records.save_draft(session=session, user_id=user_id, call_id=call_id, state=state)


def _load_or_start(user_id: int, call_id: str, fresh: bool) -> Dict[str, Any]:
    with session_scope() as session:
        draft = None if fresh else records.open_draft(session=session, user_id=user_id, call_id=call_id)
        if draft is None or draft.closed:
            return {"id": records.new_draft(session=session, user_id=user_id), "state": {}, "resumed": False}
        return {"id": draft.id, "state": dict(draft.state or {}), "resumed": bool(draft.state),
                "updated": clock.local_time(draft.updated_at, "%H:%M")}


async def keep(request: Request, body: Dict[str, Any], *, profile, topic, turns, department) -> bool:
    """Save what the page shows now as the call's draft (False: no such open call)."""
    call_id = str(body.get("call_id") or "")[:40]
    if not call_id:
        return False
    state = {"profile": profile, "topic": topic, "turns": turns, "department": department,
             "ticket": clean_ticket(body.get("ticket")), "picked": picked_ids(body.get("picked"))}
    return await auth.run_db(_save_draft, request.ctx.user.id, call_id, state)


# ---- pages and JSON ------------------------------------------------------------------------

def _call_page(request: Request, *, profile: Dict[str, Any], topic: str, turns: List[Dict[str, Any]],
               view: Optional[Dict[str, Any]], department: str = "", error: str = "", status: int = 200,
               call: Optional[Dict[str, Any]] = None):
    from bot.web import tickets

    state = (call or {}).get("state") or {}
    return render.render(request, "hotline/call.html", status=status, fields=form_fields(), profile=profile,
                         topic=topic, topics=topic_options(), turns=turns, view=view, error=error,
                         department=department, turns_json=json.dumps(turns, ensure_ascii=False),
                         none_value=NONE_OF_THESE, last_intent=turns[-1] if turns else None,
                         call=call or {}, ticket=clean_ticket(state.get("ticket")), options=tickets.options(),
                         picked_json=json.dumps(state.get("picked") or [], ensure_ascii=False))


@auth.login_required()
async def call_page(request: Request):
    """GET: the operator's open call (resumed after F5 or a new login), a new one (?new=1), or a
    profile given in the query (links, bench). POST: the same page used as a plain form (no
    JavaScript): add a caller turn and/or re-match."""
    source = request.form if request.method == "POST" else request.args
    user = request.ctx.user
    wanted = str(source.get("call") or "")[:40]
    link = request.method == "GET" and any(k not in ("call", "new", "topic") for k in request.args)
    fresh = request.method == "GET" and bool(request.args.get("new"))
    call = await auth.run_db(_load_or_start, user.id, wanted, fresh or link)
    if fresh:
        # Back to the plain address: F5 there reopens the operator's newest open call, this one.
        return response.redirect("/console/call", status=303)
    state = call["state"] if request.method == "GET" else {}
    topic = source.get("topic") or state.get("topic") or ""
    topic = topic if topic in present.INTENT_FAMILIES else ""
    department = (source.get("department") or state.get("department") or "")[:200]
    turns: List[Dict[str, Any]] = clean_turns(state.get("turns"))
    if request.method == "POST":
        try:
            turns = clean_turns(parse_json((source.get("turns_json") or "[]").encode("utf-8")))
        except BadBody:
            turns = []
    try:
        profile = profile_from_form(source.getlist)
        if request.method == "GET" and not profile and state.get("profile"):
            profile = profile_mod.validate_profile(state["profile"])
    except ProfileError as exc:
        return _call_page(request, profile={}, topic=topic, turns=turns, view=None, department=department,
                          error=f"{profile_mod.field_title(exc.field)}：{exc.message}", status=400, call=call)
    error = ""
    text = (source.get("text") or "").strip()[:MAX_TEXT] if request.method == "POST" else ""
    if text:
        try:
            turn = await parse_text(request, text)
            turns.append(turn)
            profile = profile_mod.validate_profile(merge_profile(profile, turn["found"]))
            if turn["intent"] in present.INTENT_FAMILIES:
                topic = turn["intent"]
        except RuntimeError as exc:
            error = str(exc)
    report = await run_match(profile)
    view = build_view(request, report, topic=topic, turns=[t["text"] for t in turns], department=department,
                      picked=picked_ids(call["state"].get("picked")))
    await keep(request, {"call_id": call["id"], "ticket": call["state"].get("ticket"),
                         "picked": call["state"].get("picked")},
               profile=profile, topic=topic, turns=turns, department=department)
    return _call_page(request, profile=profile, topic=topic, turns=turns, view=view, department=department,
                      error=error, call=call)


def _json_body(request: Request) -> Dict[str, Any]:
    try:
        body = parse_json(request.body)
    except BadBody as exc:
        raise ProfileError(exc.field, exc.message) from None
    if not isinstance(body, dict):
        raise ProfileError("body", "请求体应为 JSON 对象")
    return body


def _view_json(request: Request, view: Dict[str, Any], profile: Dict[str, Any], kept: bool) -> Dict[str, Any]:
    return {"profile": profile, "topic": view["topic"], "topic_label": view["topic_label"],
            "results_html": render.render_string(request, "hotline/_results.html", view=view),
            "script": view["script"], "ticket": view["ticket"], "department": view["department"],
            "next_question": view["next_question"], "counts": view["counts"], "kb_version": view["kb_version"],
            "asked": view["asked"], "cited": view["cited"], "kept": kept}


def _invalid(exc: ProfileError):
    return render.json({**exc.to_dict(), "title": profile_mod.field_title(exc.field)}, status=400)


def _body_and_profile(request: Request):
    """The JSON body and its validated profile; ProfileError names what is wrong."""
    body = _json_body(request)
    return body, profile_mod.validate_profile(body.get("profile") or {})


async def _answer(request: Request, body: Dict[str, Any], *, profile, topic, turns, how_to=False) -> Dict[str, Any]:
    """Match, build the view, save the draft: what /match and /parse both answer."""
    department = str(body.get("department") or "")[:200]
    report = await run_match(profile)
    view = build_view(request, report, topic=topic, turns=[t["text"] for t in turns], department=department,
                      picked=picked_ids(body.get("picked")), how_to=how_to)
    kept = await keep(request, body, profile=profile, topic=topic, turns=turns, department=department)
    return _view_json(request, view, profile, kept)


def _topic(body: Dict[str, Any]) -> str:
    return body.get("topic") if body.get("topic") in present.INTENT_FAMILIES else ""


@auth.login_required()
async def api_match(request: Request):
    """{"call_id", "profile", "topic", "turns", "department", "ticket", "picked"} → results HTML,
    script, 工单 text; the call's draft is saved."""
    try:
        body, profile = _body_and_profile(request)
    except ProfileError as exc:
        return _invalid(exc)
    return render.json(await _answer(request, body, profile=profile, topic=_topic(body),
                                     turns=clean_turns(body.get("turns"))))


@auth.login_required()
async def api_parse(request: Request):
    """{"text", plus what api_match takes} → the turn's reading, the merged profile, new results."""
    try:
        body, profile = _body_and_profile(request)
    except ProfileError as exc:
        return _invalid(exc)
    text = str(body.get("text") or "").strip()
    if not text:
        return render.json({"error": "empty", "message": "请先输入来电人说的话。"}, status=400)
    try:
        turn = await parse_text(request, text[:MAX_TEXT])
    except RuntimeError as exc:
        return render.json({"error": "model_unavailable", "message": str(exc)}, status=503)
    merged = profile_mod.validate_profile(merge_profile(profile, turn["found"]))
    topic = turn["intent"] if turn["intent"] in present.INTENT_FAMILIES else _topic(body)
    answer = await _answer(request, body, profile=merged, topic=topic,
                           turns=clean_turns(body.get("turns")) + clean_turns([turn]),
                           how_to=turn["intent"] == "ask_application_process")
    return render.json({"turn": turn, "changed": sorted(k for k in merged if merged.get(k) != profile.get(k)),
                        **answer})


@auth.login_required()
async def api_search(request: Request):
    """{"q", "profile"} → policies by name, keyword or 文号, with what each means for this caller."""
    try:
        body, profile = _body_and_profile(request)
    except ProfileError as exc:
        return _invalid(exc)
    query = str(body.get("q") or "").strip()[:100]
    report = await run_match(profile)
    hits = lookup.search([r for r in report.results if not r.record.data.get("overlays")], query)
    items = [{**cited_entry(r), "status_code": r.status, "benefit": spoken.benefit(r),
              "valid": present.valid_until(r)} for r in hits]
    return render.json({"q": query, "items": items,
                        "html": render.render_string(request, "hotline/_search.html", items=items, q=query)})
