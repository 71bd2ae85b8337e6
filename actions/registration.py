"""办执照 and the 一件事 guides (我要开饭店 / 我要开药店 / 个转企 …) from the knowledge base."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import latest_text, match_tracker
from policies_kb import present
from policies_kb.matcher import EXPIRED


class ActionBusinessRegistration(Action):
    def name(self) -> Text:
        return "action_business_registration"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        report = match_tracker(tracker)
        guides = [r for r in present.select(report, ["business_registration"]) if r.status != EXPIRED]
        named = present.mentioned(guides, latest_text(tracker))
        if not named:
            # Fall back to the owner's industry (a restaurant owner gets the restaurant guide).
            named = [r for r in guides if r.status == "eligible" and r.record.data.get("conditions", {}).get("all")]
        if not named:
            dispatcher.utter_message(
                text="办照办事我能讲这些“一件事”指南，您想看哪个？",
                buttons=[{"title": r.record.data["name"], "payload": r.record.data["name"]} for r in guides[:5]] or None)
            return [SlotSet("current_family", "ask_business_registration")]
        guide = named[0]
        d = guide.record.data
        dispatcher.utter_message(text=f"「{d['name']}」\n{d.get('summary', '').strip()}")
        for text in present.application_messages(guide, report.kb_version):
            dispatcher.utter_message(text=text)
        caveats = guide.caveats()
        dispatcher.utter_message(text="\n".join(caveats[:3] + [present.hotline(["business_registration"])]))
        return [SlotSet("current_family", "ask_business_registration"), SlotSet("current_policy", guide.policy_id)]
