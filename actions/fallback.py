"""Two-step fallback: first offer the likeliest topics as numbered choices, then a human."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot import vocabulary


class ActionFallbackOptions(Action):
    def name(self) -> Text:
        return "action_fallback_options"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        ranking = tracker.latest_message.get("intent_ranking") or []
        offered = vocabulary.offered_intents()
        options = [r["name"] for r in ranking if r.get("name") in offered][:3]
        if not options:
            options = ["find_policies", "ask_guaranteed_loan", "ask_tax_relief"]
        dispatcher.utter_message(
            text="我没太明白，您是想问下面哪一项？也可以换个说法再说一次。",
            buttons=[{"title": vocabulary.intent_title(name), "payload": f"/{name}"} for name in options])
        return []


class ActionOfferHuman(Action):
    def name(self) -> Text:
        return "action_offer_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(
            text="抱歉，还是没听明白。要不要转人工，让工作人员帮您？",
            buttons=[{"title": "转人工", "payload": "/request_human"}, {"title": "不用，我换个说法", "payload": "/deny"}])
        return []
