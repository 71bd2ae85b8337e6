"""Helpers shared by the action modules: the tracker's profile and its match report."""
from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker

from bot import vocabulary
from policies_kb import matcher, normalize
from policies_kb.matcher import MatchReport

PROFILE_SLOTS = vocabulary.profile_slots()


def field_slot(field: str) -> str:
    """Profile field (as the matcher names it) → the slot that asks for it."""
    if field.startswith("region."):
        return "region"
    if field == "months_in_business":
        return "registered_on"
    return field


def profile_from_tracker(tracker: Tracker) -> Dict[str, Any]:
    return normalize.profile_from_slots({name: tracker.get_slot(name) for name in PROFILE_SLOTS})


def match_tracker(tracker: Tracker, as_of: Optional[dt.date] = None) -> MatchReport:
    return matcher.match(profile_from_tracker(tracker), as_of)


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def previous_value(tracker: Tracker, slot: str) -> Any:
    """The slot's value before this user turn's extraction overwrote it."""
    seen_current = False
    for event in reversed(tracker.events):
        if event.get("event") == "slot" and event.get("name") == slot:
            if seen_current:
                return event.get("value")
            seen_current = True
        if event.get("event") == "user" and seen_current:
            # everything older than this user turn is the previous state
            continue
    return None


def events_since_slot(tracker: Tracker, slot: str) -> List[Dict[str, Any]]:
    """The events after the latest time `slot` was set."""
    out: List[Dict[str, Any]] = []
    for event in reversed(tracker.events):
        if event.get("event") == "slot" and event.get("name") == slot:
            break
        out.append(event)
    return list(reversed(out))
