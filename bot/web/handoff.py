"""转人工队列: conversations whose owner asked for a human (slot handoff_active, set by
actions/handoff.py and honoured by bot/rasa/handoff_policy.py). One operator claims a conversation
and is the only one who answers it; replies go out through the WeChat customer-service API;
releasing hands the conversation back to the bot, and a release notice WeChat refused stays
on the queue page with a retry button until it is delivered."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Dict, Optional

from sanic import response
from sanic.request import Request
from sqlalchemy.exc import IntegrityError

from bot.web import auth, records, render
from bot.web.conversation_view import HANDOFF_SLOT, agent, append, held_conversations, tracker_view
from bot.web.wechat_send import ReplyRefused, send, wechat_configured
from policies_kb import clock
from policies_kb.db import session_scope

logger = logging.getLogger(__name__)

RELEASED_RESPONSE = "utter_handoff_released"  # sent on release when the domain defines it
MAX_REPLY = 600         # one operator reply: fits one WeChat text message

NOTICES = {"sent": "回复已发送，并已记入对话记录。",
           "recorded": "回复已记入对话记录。该渠道不能主动推送，用户收不到这条回复，请电话联系。",
           "released": "会话已交还机器人，机器人将继续回答。",
           "released_quiet": "会话已交还机器人。该渠道不能主动推送，用户下次发消息时机器人会回答。",
           "claimed": "您已接待这个会话，其他坐席将看到由您处理。",
           "released_failed": "会话已交还机器人，但交还通知没有送达用户（见下方“交还通知未送达”），可以重试。",
           "retry_failed": "补发交还通知仍然失败，原因见下方；可稍后再试，或电话联系用户。",
           "notified": "交还通知已补发给用户。"}


def reach(channel: str) -> str:
    """What a reply on this channel really does, said plainly."""
    if channel == "wechat":
        return "微信客服消息（用户 48 小时内有互动才能收到）" if wechat_configured() else "微信未配置，回复发不出去"
    return "不能主动推送：回复只记入对话记录，用户收不到"


# ---- claims ----------------------------------------------------------------------------------

def _utc(epoch: float) -> Optional[dt.datetime]:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).replace(tzinfo=None) if epoch else None


def _claims() -> Dict[str, Dict[str, Any]]:
    with session_scope() as session:
        return {s: {"operator": c.operator, "since": clock.local_time(c.claimed_at, "%m-%d %H:%M"), "row": c,
                    "notice_failed": c.notice_failed} for s, c in records.claims(session=session).items()}


def current_claim(claims: Dict[str, Dict[str, Any]], conv: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The claim on this handoff, not one left from an earlier one."""
    found = claims.get(conv["sender_id"])
    return None if found is None or records.stale(found["row"], _utc(conv["since"])) else found


def _claim(sender: str, operator: str, since: float) -> str:
    """Who holds the conversation after this operator's claim (themselves, or whoever was first)."""
    for _ in range(2):  # a second try when another operator's claim landed between read and write
        try:
            with session_scope() as session:
                return records.claim(session=session, sender_id=sender, operator=operator,
                                     held_since=_utc(since)).operator
        except IntegrityError:
            continue
    return operator


def _release_claim(sender: str, operator: str, failed: Optional[str]) -> None:
    with session_scope() as session:
        records.unclaim(session=session, sender_id=sender, operator=operator, notice_failed=failed)


async def claimed_by_other(request: Request, conv: Dict[str, Any]) -> Optional[str]:
    """The other operator answering `conv`, after claiming it for this one when it was free."""
    user = request.ctx.user
    holder = await auth.run_db(_claim, conv["sender_id"], user.username, conv["since"])
    return holder if holder != user.username else None


# ---- pages -----------------------------------------------------------------------------------

def _with_claims(items, claims):
    for c in items:
        c["claim"] = current_claim(claims, c)
        c["reach"] = reach(c["channel"])
    return items


@auth.login_required()
async def handoff_queue(request: Request):
    claims = await auth.run_db(_claims)
    try:
        items, error = _with_claims(await held_conversations(request), claims), ""
    except RuntimeError as exc:
        items, error = [], str(exc)
    failed = [{"sender_id": s, **c} for s, c in claims.items() if c["notice_failed"]]
    return render.render(request, "hotline/handoff.html", items=items, error=error, failed=failed,
                         notice=NOTICES.get(request.args.get("notice", ""), ""), wechat_ready=wechat_configured())


@auth.login_required()
async def handoff_rows(request: Request):
    """The queue's rows for the page's periodic refresh."""
    try:
        items = _with_claims(await held_conversations(request), await auth.run_db(_claims))
    except RuntimeError as exc:
        return render.json({"error": "unavailable", "message": str(exc)}, status=503)
    return render.json({"count": len(items),
                        "html": render.render_string(request, "hotline/_queue_rows.html", items=items)})


async def _view(request: Request, sender: str) -> Optional[Dict[str, Any]]:
    conv = await tracker_view(request, sender) if sender else None
    if conv is not None:
        conv["claim"] = current_claim(await auth.run_db(_claims), conv)
        conv["reach"] = reach(conv["channel"])
    return conv


def _conversation_page(request: Request, conv: Dict[str, Any], *, error: str = "", draft: str = "", status: int = 200):
    mine = bool(conv.get("claim") and conv["claim"]["operator"] == request.ctx.user.username)
    return render.render(request, "hotline/conversation.html", status=status, conv=conv, error=error, draft=draft,
                         notice=NOTICES.get(request.args.get("notice", ""), ""), wechat_ready=wechat_configured(),
                         max_reply=MAX_REPLY, mine=mine)


def _gone(request: Request):
    return render.error_page(request, 404, "没有这个会话", "会话不存在或已过期，请回到转人工队列。")


@auth.login_required()
async def handoff_view(request: Request):
    try:
        conv = await _view(request, request.args.get("sender") or "")
    except RuntimeError as exc:
        return render.error_page(request, 503, "暂时无法打开", str(exc))
    return _conversation_page(request, conv) if conv else _gone(request)


@auth.login_required()
async def handoff_transcript(request: Request):
    """The transcript fragment, for the conversation page's periodic refresh."""
    sender = request.args.get("sender") or ""
    try:
        conv = await tracker_view(request, sender) if sender else None
    except RuntimeError as exc:
        return render.json({"error": "unavailable", "message": str(exc)}, status=503)
    if conv is None:
        return render.json({"error": "not_found", "message": "会话不存在"}, status=404)
    return render.json({"held": conv["held"], "count": len(conv["transcript"]),
                        "html": render.render_string(request, "hotline/_transcript.html", conv=conv)})


def _back(conv: Dict[str, Any], notice: str):
    return response.redirect(f"{conv['link']}&notice={notice}", status=303)


@auth.login_required()
async def handoff_claim(request: Request):
    sender = request.form.get("sender") or ""
    try:
        conv = await _view(request, sender)
    except RuntimeError as exc:
        return render.error_page(request, 503, "暂时无法接待", str(exc))
    if conv is None or not conv["held"]:
        return _gone(request)
    other = await claimed_by_other(request, conv)
    if other:
        conv = await _view(request, sender)
        return _conversation_page(request, conv, error=f"这个会话已由坐席 {other} 接待，您不能重复接待。", status=409)
    logger.info("handoff: %s claimed %s", request.ctx.user.username, sender)
    return _back(conv, "claimed")


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
            await send(tracker.sender_id, text)
        return [BotUttered(text, metadata={"operator": user.username, "handoff_reply": True})]

    try:
        conv = await _view(request, sender)
        if conv is None:
            return _gone(request)
        if not text or len(text) > MAX_REPLY:
            return _conversation_page(request, conv, error=f"回复不能为空，且不超过 {MAX_REPLY} 字。",
                                      draft=text[:MAX_REPLY * 2], status=400)
        other = await claimed_by_other(request, conv)
        if other:
            return _conversation_page(request, conv, error=f"这个会话已由坐席 {other} 接待，您不能回复。",
                                      draft=text, status=409)
        conv = await append(request, sender, events)
    except ReplyRefused as exc:
        return _conversation_page(request, await _view(request, sender), error=str(exc), draft=text, status=502)
    except RuntimeError as exc:
        return render.error_page(request, 503, "暂时无法回复", str(exc))
    logger.info("handoff: %s replied to %s", user.username, sender)
    return _back(conv, "sent" if conv and conv["channel"] == "wechat" else "recorded")


def released_text(request: Request) -> Optional[str]:
    domain = agent(request).domain
    found = (domain.responses if domain else {}).get(RELEASED_RESPONSE) or []
    return found[0].get("text") if found else None


@auth.login_required()
async def handoff_release(request: Request):
    from rasa.shared.core.events import BotUttered, SlotSet

    sender = request.form.get("sender") or ""
    user = request.ctx.user
    outcome: Dict[str, Any] = {"failed": None, "pushed": False}

    async def events(tracker):
        out = [SlotSet(HANDOFF_SLOT, False)]
        text = released_text(request)
        if text and tracker.get_latest_input_channel() == "wechat":
            try:  # the release itself must not fail on the courtesy message: it is retried from the queue
                await send(tracker.sender_id, text)
                out.insert(0, BotUttered(text, metadata={"operator": user.username}))
                outcome["pushed"] = True
            except ReplyRefused as exc:
                outcome["failed"] = str(exc)
        return out

    try:
        conv = await _view(request, sender)
        if conv is None:
            return _gone(request)
        holder = (conv.get("claim") or {}).get("operator")
        if holder and holder != user.username and not user.has_role("admin"):
            return _conversation_page(request, conv, error=f"这个会话由坐席 {holder} 接待，只有他（或管理员）能交还。",
                                      status=409)
        conv = await append(request, sender, events)
    except RuntimeError as exc:
        return render.error_page(request, 503, "暂时无法交还", str(exc))
    await auth.run_db(_release_claim, sender, user.username, outcome["failed"])
    logger.info("handoff: %s released %s (notice %s)", user.username, sender,
                "failed: " + outcome["failed"] if outcome["failed"] else "sent" if outcome["pushed"] else "not pushed")
    notice = "released_failed" if outcome["failed"] else "released" if outcome["pushed"] else "released_quiet"
    return response.redirect(f"/console/handoff?notice={notice}", status=303)


@auth.login_required()
async def handoff_notify(request: Request):
    """Retry the release notice WeChat refused."""
    from rasa.shared.core.events import BotUttered

    sender = request.form.get("sender") or ""
    user = request.ctx.user
    text = released_text(request) or "您好，人工服务已结束，机器人将继续为您服务。"

    async def events(tracker):
        await send(tracker.sender_id, text)
        return [BotUttered(text, metadata={"operator": user.username})]
    try:
        conv = await append(request, sender, events)
    except ReplyRefused as exc:
        await auth.run_db(_release_claim, sender, user.username, str(exc))
        return response.redirect("/console/handoff?notice=retry_failed", status=303)
    except RuntimeError as exc:
        return render.error_page(request, 503, "暂时无法发送", str(exc))
    if conv is None:
        return _gone(request)
    await auth.run_db(_release_claim, sender, user.username, None)
    return response.redirect("/console/handoff?notice=notified", status=303)
