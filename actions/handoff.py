"""转人工: summarise the profile and the question for the operator, then stay quiet
(bot/rasa/handoff_policy.py) until the hotline console releases the conversation."""
from __future__ import annotations

import time
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import handoff_hours, understand
from actions.common import profile_from_tracker
from policies_kb import present


def last_question(tracker: Tracker) -> str:
    """The owner's last message that was not itself the request for a human."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent != "request_human" and event.get("text") and not understand.PAGE.match(event["text"].strip()):
                return event["text"]  # "更多" pages an answer: it adds nothing to the question
    return "（未提问）"


class ActionHandoff(Action):
    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        # the question being answered ("想贷点款"), not a bare answer given to the bot ("6万")
        asked, last = tracker.get_slot("question_text"), last_question(tracker)
        question = f"{asked}（之后补充：{last}）" if asked and last not in (asked, "（未提问）") else asked or last
        summary = f"画像：{present.profile_summary(profile_from_tracker(tracker))}\n问题：{question}"
        dispatcher.utter_message(text=handoff_hours.handoff_message())  # in or out of service hours
        dispatcher.utter_message(text=f"已转给工作人员的摘要：\n{summary}")
        return [SlotSet("handoff_active", True), SlotSet("handoff_summary", summary),
                SlotSet("handoff_at", time.time()), SlotSet("asked_slot", None)]


class ActionHandoffCancel(Action):
    """"算了" / "不用人工了" / "取消" while waiting: back to the bot (routing.handoff_events)."""

    def name(self) -> Text:
        return "action_handoff_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_handoff_cancelled")
        return [SlotSet("handoff_active", False), SlotSet("handoff_at", None)]
