"""Two-step fallback: first offer the likeliest topics as numbered choices, then a human."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

# What each intent is called when we offer it back to the owner.
INTENT_TITLES = {
    "find_policies": "我能享受哪些政策", "ask_social_insurance": "社保（缓缴、费率、补贴）",
    "ask_startup_subsidy": "创业补贴", "ask_guaranteed_loan": "创业担保贷款",
    "ask_tax_relief": "税费减免", "ask_ip_financing": "知识产权质押融资",
    "ask_returnee_startup": "返乡创业扶持", "ask_veteran_support": "退役军人创业扶持",
    "ask_business_registration": "办营业执照、一件事", "report_illegal_fee": "反映乱收费",
    "ask_application_process": "怎么申请、要什么材料", "request_human": "转人工",
}


class ActionFallbackOptions(Action):
    def name(self) -> Text:
        return "action_fallback_options"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        ranking = tracker.latest_message.get("intent_ranking") or []
        options = [r["name"] for r in ranking if r.get("name") in INTENT_TITLES][:3]
        if not options:
            options = ["find_policies", "ask_guaranteed_loan", "ask_tax_relief"]
        dispatcher.utter_message(
            text="我没太明白，您是想问下面哪一项？也可以换个说法再说一次。",
            buttons=[{"title": INTENT_TITLES[name], "payload": f"/{name}"} for name in options])
        return []


class ActionOfferHuman(Action):
    def name(self) -> Text:
        return "action_offer_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(
            text="抱歉，还是没听明白。要不要转人工，让工作人员帮您？",
            buttons=[{"title": "转人工", "payload": "/request_human"}, {"title": "不用，我换个说法", "payload": "/deny"}])
        return []
