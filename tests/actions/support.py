"""Shared by the action tests: a tracker as Rasa sends it and a collecting dispatcher."""
from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

DOMAIN = {"slots": {}, "responses": {}, "forms": {"profile_form": {"required_slots": []}}}


def tracker(slots=None, text="", intent="find_policies", events=None, ranking=None):
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": [],
              "intent_ranking": ranking or [{"name": intent, "confidence": 0.9}]}
    return Tracker("owner-1", slots or {}, latest, events or [], False, None, {}, "action_listen")


def run(action, t):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, DOMAIN))
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def texts(messages):
    return "\n".join(m.get("text") or "" for m in messages)
