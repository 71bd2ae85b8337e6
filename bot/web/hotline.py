"""Hotline console (热线坐席助手): the call assistant and the handoff queue.

The call assistant gives a 12345-style operator the bot's brain while the owner talks: the
running Rasa model parses what the caller says, policies_kb.normalize turns entities into the
profile, the matcher answers, policies_kb.present words the spoken script. The handoff queue
shows conversations whose owner asked for a human (slot handoff_active, set by
actions/handoff.py and honoured by bot/rasa/handoff_policy.py), lets the operator reply through the
WeChat customer-service API and hands the conversation back to the bot.
"""
from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
import logging
import os
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple
from urllib.parse import quote

from sanic import Blueprint, response
from sanic.request import Request

from bot.web import auth, render
from bot.web.body import JSON_LIMIT, BadBody, json_error, parse_json, add_route as bounded_route
from policies_kb import loader, matcher, normalize, present
from policies_kb import profile as profile_mod
from policies_kb.matcher import ELIGIBLE, EXPIRED, INELIGIBLE, POSSIBLE, STATUS_NAMES, MatchReport
from policies_kb.profile import ProfileError

logger = logging.getLogger(__name__)

HANDOFF_SLOT = "handoff_active"
SUMMARY_SLOT = "handoff_summary"
RELEASED_RESPONSE = "utter_handoff_released"  # sent on release when the domain defines it
MAX_TEXT = 500          # one caller turn
MAX_REPLY = 600         # one operator reply: fits one WeChat text message
MAX_TURNS = 30
NONE_OF_THESE = "__none__"  # the "都不是" box: identities known to be empty

INTENT_LABELS = {
    "greet": "问候", "goodbye": "再见", "thank": "感谢", "affirm": "肯定", "deny": "否定",
    "bot_challenge": "问是不是机器人", "request_human": "要求转人工", "out_of_scope": "超出范围",
    "find_policies": "查适用政策", "inform_profile": "提供自身情况", "report_illegal_fee": "反映乱收费",
    "ask_application_process": "问办理流程", "nlu_fallback": "没听懂",
}
# Profile slots the bot keeps (actions/common.py PROFILE_SLOTS); the queue shows them as profile.
PROFILE_SLOTS = ["entity_type", "industry", "identities", "employees", "monthly_sales", "taxpayer_type",
                 "insured_as", "region", "registered_on", "first_startup", "has_ip",
                 "annual_taxable_income", "total_assets"]


def topic_label(topic: str) -> str:
    families = present.INTENT_FAMILIES.get(topic)
    return "、".join(loader.FAMILIES[f] for f in families) if families else "全部政策"


def intent_label(intent: Optional[str]) -> str:
    if not intent:
        return "—"
    if intent in present.INTENT_FAMILIES:
        return f"咨询{topic_label(intent)}"
    return INTENT_LABELS.get(intent, intent)


def entity_title(entity: Optional[str]) -> str:
    """The profile field's Chinese title for an NLU entity (identity → 身份)."""
    if entity == "annual_sales":
        return "年销售额"
    field = {"identity": "identities"}.get(entity or "", entity or "")
    return (profile_mod.schema()["properties"].get(field) or {}).get("title") or field


def topic_options() -> List[Tuple[str, str]]:
    return [("", "全部政策")] + [(intent, topic_label(intent)) for intent in present.INTENT_FAMILIES]


# ---- the profile form --------------------------------------------------------------------

def form_fields() -> List[Dict[str, Any]]:
    """One entry per profile field, in schema order, with the control to draw."""
    fields = []
    for name, spec in profile_mod.schema()["properties"].items():
        kind = {"integer": "integer", "number": "number", "boolean": "boolean"}.get(spec.get("type"), "text")
        if "enum" in spec:
            kind = "enum"
        elif spec.get("type") == "array":
            kind = "multi"
        elif spec.get("format") == "date":
            kind = "date"
        elif name == "region":
            kind = "region"
        fields.append({"name": name, "title": spec.get("title", name), "kind": kind,
                       "options": profile_mod.vocabulary(name) or [], "question": spec.get("x-question", ""),
                       "parts": [{"name": f"region.{k}", "title": v.get("title", k)}
                                 for k, v in spec.get("properties", {}).items()] if kind == "region" else []})
    return fields


def profile_from_form(getlist: Callable[[str], List[str]]) -> Dict[str, Any]:
    """A profile from form values (the no-script form and GET links); ProfileError on bad input."""
    profile: Dict[str, Any] = {}
    for field in form_fields():
        name, kind = field["name"], field["kind"]
        if kind == "region":
            region = {part["name"].split(".", 1)[1]: (getlist(part["name"]) or [""])[0].strip()
                      for part in field["parts"]}
            if any(region.values()):
                profile["region"] = region
            continue
        values = [v.strip() for v in getlist(name) or [] if v is not None]
        if kind == "multi":
            if NONE_OF_THESE in values:
                profile[name] = []
            elif values:
                profile[name] = [v for v in values if v]
            continue
        value = values[0] if values else ""
        if value == "":
            continue
        try:
            if kind == "integer":
                profile[name] = int(value)
            elif kind == "number":
                profile[name] = float(value)
            elif kind == "boolean":
                profile[name] = {"true": True, "false": False}[value]
            else:
                profile[name] = value
        except (ValueError, KeyError):
            raise ProfileError(name, f"“{value}”不是有效的{field['title']}") from None
    return profile_mod.validate_profile(profile)


def slots_from_entities(entities: Iterable[Dict[str, Any]]) -> Dict[str, Any]:
    """NLU entities → the loose slot values normalize.profile_from_slots understands."""
    slots: Dict[str, Any] = {}
    for entity in entities:
        name, value = entity.get("entity"), entity.get("value")
        if value in (None, ""):
            continue
        if name == "identity":
            slots.setdefault("identities", []).append(value)
        elif name == "annual_sales":
            yearly = normalize.parse_wan(value)
            if yearly is not None:
                slots.setdefault("monthly_sales", round(yearly / 12, 2))
        elif name in ("entity_type", "industry", "taxpayer_type", "employees", "monthly_sales", "region"):
            slots[name] = value
    return slots


def merge_profile(current: Dict[str, Any], found: Dict[str, Any]) -> Dict[str, Any]:
    """What the caller just said wins; identities and region parts accumulate."""
    merged = dict(current)
    for key, value in found.items():
        if key == "identities":
            merged[key] = list(dict.fromkeys((merged.get(key) or []) + value))
        elif key == "region":
            merged[key] = {**(merged.get(key) or {}), **value}
        else:
            merged[key] = value
    return merged


# ---- match → what the page shows ---------------------------------------------------------

def _result_view(result) -> Dict[str, Any]:
    d = result.to_dict()
    specs = profile_mod.field_specs()
    d["questions"] = [specs.get(f, {}).get("x-question") or f"请问您的{profile_mod.field_title(f)}是？"
                      for f in result.missing]
    return d


def default_department(cited) -> str:
    channels = [((r.record.data.get("apply") or {}).get("channel") or "").strip() for r in cited]
    return "；".join(dict.fromkeys(c for c in channels if c)) or "当地政务服务中心"


def build_view(request: Request, report: MatchReport, *, topic: str, turns: List[str],
               department: str = "") -> Dict[str, Any]:
    """Everything the right-hand side of the call page shows, for HTML and JSON alike."""
    families = present.families_for(topic or None)
    selected = present.select(report, families)
    next_q = matcher.next_question(selected)
    scoped = copy.copy(report)  # the script asks the question that matters for this topic
    scoped.next_question = next_q
    groups = []
    for status in (ELIGIBLE, POSSIBLE, INELIGIBLE, EXPIRED):
        items = [r for r in selected if r.status == status]
        groups.append({"status": status, "title": STATUS_NAMES[status], "items": [_result_view(r) for r in items]})
    counts = {g["status"]: len(g["items"]) for g in groups}
    script = present.spoken_script(scoped, families)
    cited = [r for r in selected if r.status in (ELIGIBLE, POSSIBLE)]
    department = (department or "").strip() or default_department(cited[:3])
    user = getattr(request.ctx, "user", None)
    ticket = render.environment().get_template("hotline/ticket.txt").render(
        now=dt.datetime.now().strftime("%Y-%m-%d %H:%M"), operator=user.username if user else "",
        turns=turns, topic=topic_label(topic), profile=present.profile_summary(report.profile), script=script,
        cited=cited[:6], next_question=next_q, department=department, report=report,
        doc_no=present.doc_no, valid_until=present.valid_until, status_names=STATUS_NAMES)
    return {"groups": groups, "counts": counts, "next_question": next_q, "script": script, "ticket": ticket,
            "department": department, "kb_version": report.kb_version, "as_of": report.as_of.isoformat(),
            "topic": topic, "topic_label": topic_label(topic)}


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


def _turn_texts(raw: Any) -> List[str]:
    if not isinstance(raw, list):
        return []
    return [str(t.get("text") if isinstance(t, dict) else t)[:MAX_TEXT] for t in raw[-MAX_TURNS:] if t]


# ---- call assistant: pages and JSON --------------------------------------------------------

def _call_page(request: Request, *, profile: Dict[str, Any], topic: str, turns: List[Dict[str, Any]],
               view: Optional[Dict[str, Any]], department: str = "", error: str = "", status: int = 200):
    return render.render(request, "hotline/call.html", status=status, fields=form_fields(), profile=profile,
                         topic=topic, topics=topic_options(), turns=turns, view=view, error=error,
                         department=department, turns_json=json.dumps(turns, ensure_ascii=False),
                         none_value=NONE_OF_THESE, last_intent=turns[-1] if turns else None)


@auth.login_required()
async def call_page(request: Request):
    """GET: an empty call, or a profile given in the query (links, bench). POST: the same page
    used as a plain form (no JavaScript): add a caller turn and/or re-match."""
    source = request.form if request.method == "POST" else request.args
    topic = source.get("topic") or ""
    topic = topic if topic in present.INTENT_FAMILIES else ""
    department = (source.get("department") or "")[:200]
    turns: List[Dict[str, Any]] = []
    if request.method == "POST":
        try:
            sent = parse_json((source.get("turns_json") or "[]").encode("utf-8"))
        except BadBody:
            sent = []
        turns = [t for t in sent if isinstance(t, dict)][-MAX_TURNS:] if isinstance(sent, list) else []
    try:
        profile = profile_from_form(source.getlist)
    except ProfileError as exc:
        return _call_page(request, profile={}, topic=topic, turns=turns, view=None, department=department,
                          error=f"{profile_mod.field_title(exc.field)}：{exc.message}", status=400)
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
    view = build_view(request, report, topic=topic, turns=[t.get("text", "") for t in turns], department=department)
    return _call_page(request, profile=profile, topic=topic, turns=turns, view=view, department=department,
                      error=error)


def _json_body(request: Request) -> Dict[str, Any]:
    try:
        body = parse_json(request.body)
    except BadBody as exc:
        raise ProfileError(exc.field, exc.message) from None
    if not isinstance(body, dict):
        raise ProfileError("body", "请求体应为 JSON 对象")
    return body


def _view_json(request: Request, view: Dict[str, Any], profile: Dict[str, Any]) -> Dict[str, Any]:
    return {"profile": profile, "topic": view["topic"], "topic_label": view["topic_label"],
            "results_html": render.render_string(request, "hotline/_results.html", view=view),
            "script": view["script"], "ticket": view["ticket"], "department": view["department"],
            "next_question": view["next_question"], "counts": view["counts"], "kb_version": view["kb_version"]}


def _invalid(exc: ProfileError):
    return render.json({**exc.to_dict(), "title": profile_mod.field_title(exc.field)}, status=400)


@auth.login_required()
async def api_match(request: Request):
    """{"profile", "topic", "turns", "department"} → results HTML, script, 工单."""
    try:
        body = _json_body(request)
        profile = profile_mod.validate_profile(body.get("profile") or {})
    except ProfileError as exc:
        return _invalid(exc)
    topic = body.get("topic") if body.get("topic") in present.INTENT_FAMILIES else ""
    report = await run_match(profile)
    view = build_view(request, report, topic=topic, turns=_turn_texts(body.get("turns")),
                      department=str(body.get("department") or "")[:200])
    return render.json(_view_json(request, view, profile))


@auth.login_required()
async def api_parse(request: Request):
    """{"text", "profile", "topic", "turns", "department"} → the turn's reading, the merged
    profile and the new results."""
    try:
        body = _json_body(request)
        profile = profile_mod.validate_profile(body.get("profile") or {})
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
    topic = body.get("topic") if body.get("topic") in present.INTENT_FAMILIES else ""
    if turn["intent"] in present.INTENT_FAMILIES:
        topic = turn["intent"]
    report = await run_match(merged)
    view = build_view(request, report, topic=topic, turns=_turn_texts(body.get("turns")) + [turn["text"]],
                      department=str(body.get("department") or "")[:200])
    return render.json({"turn": turn, "changed": sorted(k for k in merged if merged.get(k) != profile.get(k)),
                        **_view_json(request, view, merged)})


# ---- handoff queue -----------------------------------------------------------------------

def _sql_store(store: Any) -> Any:
    """The SQLTrackerStore behind Rasa's wrappers (FailSafe → Awaitable → SQL), if any."""
    for _ in range(4):
        if hasattr(store, "SQLEvent") and hasattr(store, "session_scope"):
            return store
        store = getattr(store, "_tracker_store", None)
        if store is None:
            return None
    return None


async def _candidate_senders(store: Any) -> List[str]:
    """Conversations that ever touched the handoff slot; all conversations for other stores."""
    sql = _sql_store(store)
    if sql is None:
        return list(await store.keys())

    def query() -> List[str]:
        with sql.session_scope() as session:
            rows = session.query(sql.SQLEvent.sender_id).filter(
                sql.SQLEvent.type_name == "slot", sql.SQLEvent.action_name == HANDOFF_SLOT).distinct().all()
            return [sender for (sender,) in rows]
    return await asyncio.get_running_loop().run_in_executor(None, query)


def _when(timestamp: Optional[float]) -> str:
    return dt.datetime.fromtimestamp(timestamp).strftime("%m-%d %H:%M:%S") if timestamp else ""


def conversation_view(tracker) -> Dict[str, Any]:
    """What an operator needs from a tracker: who, where, since when, summary, profile, transcript."""
    events = [e.as_dict() for e in tracker.events]
    since = None
    transcript = []
    for e in events:
        kind = e.get("event")
        if kind == "slot" and e.get("name") == HANDOFF_SLOT:
            if e.get("value"):
                since = e.get("timestamp")
            transcript.append({"kind": "system", "text": "—— 转人工 ——" if e.get("value") else "—— 已交还机器人 ——",
                               "time": _when(e.get("timestamp"))})
        elif kind == "user" and e.get("text"):
            transcript.append({"kind": "user", "text": e["text"], "time": _when(e.get("timestamp"))})
        elif kind == "bot" and e.get("text"):
            operator = (e.get("metadata") or {}).get("operator")
            transcript.append({"kind": "operator" if operator else "bot", "text": e["text"], "operator": operator,
                               "time": _when(e.get("timestamp"))})
    last_user = next((e for e in reversed(events) if e.get("event") == "user"), None)
    profile = normalize.profile_from_slots({name: tracker.get_slot(name) for name in PROFILE_SLOTS})
    return {"sender_id": tracker.sender_id, "channel": tracker.get_latest_input_channel() or "",
            "held": bool(tracker.get_slot(HANDOFF_SLOT)), "since": since or 0, "since_text": _when(since),
            "summary": tracker.get_slot(SUMMARY_SLOT) or "", "profile": present.profile_summary(profile),
            "last_user": (last_user or {}).get("text", ""), "last_user_time": _when((last_user or {}).get("timestamp")),
            "transcript": transcript, "link": f"/console/handoff/view?sender={quote(tracker.sender_id, safe='')}"}


def _agent(request: Request):
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or agent.tracker_store is None:
        raise RuntimeError("对话服务尚未就绪（模型未加载），请稍后刷新。")
    return agent


async def held_conversations(request: Request) -> List[Dict[str, Any]]:
    store = _agent(request).tracker_store
    items = []
    for sender in await _candidate_senders(store):
        tracker = await store.retrieve(sender)
        if tracker is not None and tracker.get_slot(HANDOFF_SLOT):
            items.append(conversation_view(tracker))
    items.sort(key=lambda c: c["since"], reverse=True)
    return items


def wechat_configured() -> bool:
    return bool(os.environ.get("WECHAT_APPID") and os.environ.get("WECHAT_SECRET"))


def wechat_client():
    """The process's WeChat client, shared with the channel (None when not configured)."""
    from bot.channels.wechat_client import shared_client

    return shared_client()


NOTICES = {"sent": "回复已发送，并已记入对话记录。", "recorded": "回复已记入对话记录（该渠道不能主动推送，请另行联系）。",
           "released": "会话已交还机器人，机器人将继续回答。"}


@auth.login_required()
async def handoff_queue(request: Request):
    try:
        items = await held_conversations(request)
        error = ""
    except RuntimeError as exc:
        items, error = [], str(exc)
    return render.render(request, "hotline/handoff.html", items=items, error=error,
                         notice=NOTICES.get(request.args.get("notice", ""), ""), wechat_ready=wechat_configured())


@auth.login_required()
async def handoff_rows(request: Request):
    """The queue's rows for the page's periodic refresh."""
    try:
        items = await held_conversations(request)
    except RuntimeError as exc:
        return render.json({"error": "unavailable", "message": str(exc)}, status=503)
    return render.json({"count": len(items),
                        "html": render.render_string(request, "hotline/_queue_rows.html", items=items)})


async def _tracker_view(request: Request, sender: str) -> Optional[Dict[str, Any]]:
    tracker = await _agent(request).tracker_store.retrieve(sender)
    return conversation_view(tracker) if tracker is not None else None


def _conversation_page(request: Request, conv: Dict[str, Any], *, error: str = "", draft: str = "", status: int = 200):
    return render.render(request, "hotline/conversation.html", status=status, conv=conv, error=error, draft=draft,
                         notice=NOTICES.get(request.args.get("notice", ""), ""), wechat_ready=wechat_configured(),
                         max_reply=MAX_REPLY)


@auth.login_required()
async def handoff_view(request: Request):
    sender = request.args.get("sender") or ""
    try:
        conv = await _tracker_view(request, sender) if sender else None
    except RuntimeError as exc:
        return render.error_page(request, 503, "暂时无法打开", str(exc))
    if conv is None:
        return render.error_page(request, 404, "没有这个会话", "会话不存在或已过期，请回到转人工队列。")
    return _conversation_page(request, conv)


@auth.login_required()
async def handoff_transcript(request: Request):
    """The transcript fragment, for the conversation page's periodic refresh."""
    sender = request.args.get("sender") or ""
    try:
        conv = await _tracker_view(request, sender) if sender else None
    except RuntimeError as exc:
        return render.json({"error": "unavailable", "message": str(exc)}, status=503)
    if conv is None:
        return render.json({"error": "not_found", "message": "会话不存在"}, status=404)
    return render.json({"held": conv["held"], "count": len(conv["transcript"]),
                        "html": render.render_string(request, "hotline/_transcript.html", conv=conv)})


async def _append(request: Request, sender: str, build_events: Callable) -> Optional[Dict[str, Any]]:
    """Under the conversation's lock (as Rasa's own message handling): retrieve, let
    build_events(tracker) decide the events (it may raise), append them and save."""
    agent = _agent(request)
    async with agent.lock_store.lock(sender):
        tracker = await agent.tracker_store.retrieve(sender)
        if tracker is None:
            return None
        for event in await build_events(tracker):
            tracker.update(event)
        await agent.tracker_store.save(tracker)
        return conversation_view(tracker)


class ReplyRefused(Exception):
    """The reply could not be delivered; the message is shown to the operator."""


@auth.login_required()
async def handoff_reply(request: Request):
    from rasa.shared.core.events import BotUttered

    sender = request.form.get("sender") or ""
    text = (request.form.get("text") or "").strip()
    user = request.ctx.user

    async def events(tracker):
        if not tracker.get_slot(HANDOFF_SLOT):
            raise ReplyRefused("这个会话已经交还机器人，不能再以人工身份回复。")
        if tracker.get_latest_input_channel() == "wechat":
            client = wechat_client()
            if client is None:
                raise ReplyRefused("微信公众号未配置（缺少 WECHAT_APPID / WECHAT_SECRET），回复无法发送到微信。"
                                   "请联系管理员配置，或电话联系该用户。")
            from bot.channels.wechat_client import WeChatAPIError

            try:
                await client.send_text(tracker.sender_id, text)
            except WeChatAPIError as exc:
                logger.warning("handoff reply to %s failed: %s", tracker.sender_id, exc)
                raise ReplyRefused(f"微信发送失败：{exc}") from None
            except Exception as exc:  # network errors: say so, keep the draft
                logger.exception("handoff reply to %s failed", tracker.sender_id)
                raise ReplyRefused(f"微信发送失败（网络错误：{type(exc).__name__}），请稍后重试。") from None
        return [BotUttered(text, metadata={"operator": user.username, "handoff_reply": True})]

    try:
        conv = await _tracker_view(request, sender) if sender else None
        if conv is None:
            return render.error_page(request, 404, "没有这个会话", "会话不存在或已过期，请回到转人工队列。")
        if not text or len(text) > MAX_REPLY:
            return _conversation_page(request, conv, error=f"回复不能为空，且不超过 {MAX_REPLY} 字。",
                                      draft=text[:MAX_REPLY * 2], status=400)
        conv = await _append(request, sender, events)
    except ReplyRefused as exc:
        conv = await _tracker_view(request, sender)
        return _conversation_page(request, conv, error=str(exc), draft=text, status=502)
    except RuntimeError as exc:
        return render.error_page(request, 503, "暂时无法回复", str(exc))
    logger.info("handoff: %s replied to %s", user.username, sender)
    notice = "sent" if conv and conv["channel"] == "wechat" else "recorded"
    return response.redirect(f"{conv['link']}&notice={notice}", status=303)


@auth.login_required()
async def handoff_release(request: Request):
    from rasa.shared.core.events import BotUttered, SlotSet

    sender = request.form.get("sender") or ""
    user = request.ctx.user
    agent = _agent(request)

    async def events(tracker):
        out = [SlotSet(HANDOFF_SLOT, False)]
        # Tell the owner, in the domain's words, when the domain has them.
        responses = (agent.domain.responses if agent.domain else {}).get(RELEASED_RESPONSE) or []
        text = responses[0].get("text") if responses else None
        client = wechat_client() if tracker.get_latest_input_channel() == "wechat" else None
        if text and client is not None:
            try:
                await client.send_text(tracker.sender_id, text)
                out.insert(0, BotUttered(text, metadata={"operator": user.username}))
            except Exception:  # the release itself must not fail on a courtesy message
                logger.exception("handoff: release notice to %s failed", tracker.sender_id)
        return out

    try:
        conv = await _append(request, sender, events) if sender else None
    except RuntimeError as exc:
        return render.error_page(request, 503, "暂时无法交还", str(exc))
    if conv is None:
        return render.error_page(request, 404, "没有这个会话", "会话不存在或已过期，请回到转人工队列。")
    logger.info("handoff: %s released %s", user.username, sender)
    return response.redirect("/console/handoff?notice=released", status=303)


def add_routes(bp: Blueprint) -> None:
    # The shared console routes (login, logout, static files) ride along with the hotline's.
    bounded_route(bp, call_page, "console/call", methods=["GET", "POST"])
    bounded_route(bp, api_match, "console/api/call/match", methods=["POST"], limit=JSON_LIMIT,
                   on_error=json_error)
    bounded_route(bp, api_parse, "console/api/call/parse", methods=["POST"], limit=JSON_LIMIT,
                   on_error=json_error)
    bp.add_route(handoff_queue, "console/handoff", methods=["GET"])
    bp.add_route(handoff_rows, "console/api/handoff/rows", methods=["GET"])
    bp.add_route(handoff_view, "console/handoff/view", methods=["GET"])
    bp.add_route(handoff_transcript, "console/api/handoff/transcript", methods=["GET"])
    bounded_route(bp, handoff_reply, "console/handoff/reply", methods=["POST"])
    bounded_route(bp, handoff_release, "console/handoff/release", methods=["POST"])
