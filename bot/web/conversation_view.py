"""The handoff queue's view of conversations (read through bot/rasa/conversations.py): which are
held for a human, and what an operator needs to see of one (who, where, since when, summary,
profile, transcript)."""
from __future__ import annotations

import time
from typing import Any, Dict, List, Optional
from urllib.parse import quote

from sanic.request import Request

from bot import vocabulary
from bot.rasa import conversations
from policies_kb import clock, normalize, present

HANDOFF_SLOT = "handoff_active"
SUMMARY_SLOT = "handoff_summary"

def _when(timestamp: Optional[float]) -> str:
    return clock.local_time(timestamp, "%m-%d %H:%M:%S")


def waited(since: Optional[float], now: Optional[float] = None) -> str:
    """"已等 12 分钟" from the handoff moment."""
    if not since:
        return ""
    minutes = int(((now or time.time()) - since) // 60)
    if minutes < 1:
        return "不到 1 分钟"
    return f"{minutes // 60} 小时 {minutes % 60} 分钟" if minutes >= 60 else f"{minutes} 分钟"


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
    profile = normalize.profile_from_slots({name: tracker.get_slot(name) for name in vocabulary.profile_slots()})
    return {"sender_id": tracker.sender_id, "channel": tracker.get_latest_input_channel() or "",
            "held": bool(tracker.get_slot(HANDOFF_SLOT)), "since": since or 0, "since_text": _when(since),
            "waiting": waited(since) if tracker.get_slot(HANDOFF_SLOT) else "",
            "summary": tracker.get_slot(SUMMARY_SLOT) or "", "profile": present.profile_summary(profile),
            "last_user": (last_user or {}).get("text", ""), "last_user_time": _when((last_user or {}).get("timestamp")),
            "transcript": transcript, "link": f"/console/handoff/view?sender={quote(tracker.sender_id, safe='')}"}


def agent(request: Request):
    found = getattr(request.app.ctx, "agent", None)
    if found is None or found.tracker_store is None:
        raise RuntimeError("对话服务尚未就绪（模型未加载），请稍后刷新。")
    return found


async def held_conversations(request: Request) -> List[Dict[str, Any]]:
    store = agent(request).tracker_store
    items = []
    for sender in await conversations.senders_with_slot(store, HANDOFF_SLOT):
        tracker = await store.retrieve(sender)
        if tracker is not None and tracker.get_slot(HANDOFF_SLOT):
            items.append(conversation_view(tracker))
    items.sort(key=lambda c: c["since"])  # a queue: the longest wait first
    return items


async def tracker_view(request: Request, sender: str) -> Optional[Dict[str, Any]]:
    tracker = await agent(request).tracker_store.retrieve(sender)
    return conversation_view(tracker) if tracker is not None else None


async def append(request: Request, sender: str, build_events) -> Optional[Dict[str, Any]]:
    """Under the conversation's lock (as Rasa's own message handling): retrieve, let
    build_events(tracker) decide the events (it may raise), append them and save."""
    rasa = agent(request)
    async with rasa.lock_store.lock(sender):
        tracker = await rasa.tracker_store.retrieve(sender)
        if tracker is None:
            return None
        for event in await build_events(tracker):
            tracker.update(event)
        await rasa.tracker_store.save(tracker)
        return conversation_view(tracker)
