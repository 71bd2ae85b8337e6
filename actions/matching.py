"""Answering with the policies that fit: per family, or yes / no / depends for one policy."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import latest_text, match_tracker
from policies_kb import present
from policies_kb.matcher import ELIGIBLE, POSSIBLE


class ActionAnswerPolicies(Action):
    def name(self) -> Text:
        return "action_answer_policies"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        family = tracker.get_slot("current_family") or "find_policies"
        report = match_tracker(tracker)
        results = present.select(report, present.families_for(family))
        named = report.get(tracker.get_slot("current_policy") or "")
        if named is not None:
            # "我能不能申请X?" — one verdict with the reason.
            for text in present.verdict_messages(named, report.kb_version):
                dispatcher.utter_message(text=text)
            fits = [named.policy_id] if named.status in (ELIGIBLE, POSSIBLE) else []
            return [SlotSet("page", None), SlotSet("matched_policies", fits)]
        page = int(tracker.get_slot("page") or 1)
        messages = present.answer_messages(report, present.families_for(family), page=page)
        for i, text in enumerate(messages):
            last = i == len(messages) - 1
            buttons = []
            if last and "回复“更多”" in text:
                buttons = [{"title": "更多", "payload": f'/{family}{{"page": {page + 1}}}'}]
            dispatcher.utter_message(text=text, buttons=buttons or None)
        fitting = [r.policy_id for r in results if r.status in (ELIGIBLE, POSSIBLE)]
        return [SlotSet("page", None), SlotSet("current_policy", fitting[0] if fitting else None),
                SlotSet("matched_policies", fitting), SlotSet("last_answer", "\n".join(messages)[:2000])]


class ActionExplainApplication(Action):
    """怎么申请 / 要带什么材料 / 去哪办 — for the policy in context."""

    def name(self) -> Text:
        return "action_explain_application"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        report = match_tracker(tracker)
        candidates = [r for r in report.results if not r.record.data.get("overlays")]
        named = present.mentioned(candidates, latest_text(tracker))
        result = named[0] if named else report.get(tracker.get_slot("current_policy") or "")
        if result is None:
            family = tracker.get_slot("current_family")
            options = [r for r in present.select(report, present.families_for(family))
                       if r.status in (ELIGIBLE, POSSIBLE)][:4]
            dispatcher.utter_message(
                text="您想了解哪项政策的申请方法？",
                buttons=[{"title": r.record.data["name"], "payload": f"{r.record.data['name']}怎么申请"} for r in options] or None)
            return []
        for text in present.application_messages(result, report.kb_version):
            dispatcher.utter_message(text=text)
        return [SlotSet("current_policy", result.policy_id)]
