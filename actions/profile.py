"""Building the owner's profile: slot validation (in and out of the form) and the form that
asks only the questions whose answers change the match."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import FormValidationAction, Tracker, ValidationAction
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import events_since_slot, field_slot, match_tracker, previous_value
from actions.routing import route_events
from policies_kb import matcher, normalize, present

MAX_QUESTIONS = 3  # per question from the owner: never interrogate
NONE_WORDS = ("都不是", "都没有", "没有", "不是", "无", "没", "普通人", "啥也不是")


class ProfileSlotValidation:
    """validate_<slot> methods shared by the global slot validation and the profile form.

    A value that cannot be understood returns the slot's previous value, so a misheard word
    never erases what the owner already told us.
    """

    def _keep(self, tracker: Tracker, slot: str, value: Any) -> Dict[Text, Any]:
        return {slot: value if value is not None else previous_value(tracker, slot)}

    def _vocab(self, slot: str, value: Any, tracker: Tracker) -> Dict[Text, Any]:
        return self._keep(tracker, slot, normalize.canonical(slot, value))

    def validate_entity_type(self, value, dispatcher, tracker, domain):
        """个体户 → 个体工商户, 小公司 → 小微企业 …"""
        return self._vocab("entity_type", value, tracker)

    def validate_industry(self, value, dispatcher, tracker, domain):
        return self._vocab("industry", value, tracker)

    def validate_taxpayer_type(self, value, dispatcher, tracker, domain):
        return self._vocab("taxpayer_type", value, tracker)

    def validate_insured_as(self, value, dispatcher, tracker, domain):
        return self._vocab("insured_as", value, tracker)

    def validate_identity(self, value, dispatcher, tracker, domain):
        """One identity per mention; the profile keeps the list of all of them."""
        word = normalize.canonical("identities", value)
        known = list(tracker.get_slot("identities") or [])
        if word and word not in known:
            known.append(word)
        return {"identity": word, "identities": known}

    def validate_identities(self, value, dispatcher, tracker, domain):
        """Answer to the identity question: names some identities, or "都不是" (an empty list)."""
        if isinstance(value, list):
            words = [w for w in (normalize.canonical("identities", v) for v in value) if w]
            return {"identities": words}
        text = str(value or "")
        words = [w for w in (normalize.canonical("identities", part)
                             for part in text.replace("，", "、").replace(",", "、").split("、")) if w]
        old = previous_value(tracker, "identities") or []
        if words:
            return {"identities": sorted(set(old) | set(words), key=(old + words).index)}
        if any(word in text for word in NONE_WORDS):
            return {"identities": list(old) if old else []}
        return {"identities": old or None}

    def validate_employees(self, value, dispatcher, tracker, domain):
        return self._keep(tracker, "employees", normalize.parse_count(value))

    def validate_monthly_sales(self, value, dispatcher, tracker, domain):
        return self._keep(tracker, "monthly_sales", normalize.parse_wan(value))

    def validate_annual_sales(self, value, dispatcher, tracker, domain):
        """Owners often say a year's figure; the profile keeps it per month."""
        yearly = normalize.parse_wan(value)
        if yearly is None:
            return {"annual_sales": None}
        text = (tracker.latest_message or {}).get("text") or ""
        if not re.search(r"年", text):  # NLU guessed "yearly" for a bare "6万": keep it as said
            return {"annual_sales": None, "monthly_sales": yearly}
        return {"annual_sales": yearly, "monthly_sales": normalize.monthly_from_annual(yearly)}

    def validate_annual_taxable_income(self, value, dispatcher, tracker, domain):
        return self._keep(tracker, "annual_taxable_income", normalize.parse_wan(value))

    def validate_total_assets(self, value, dispatcher, tracker, domain):
        return self._keep(tracker, "total_assets", normalize.parse_wan(value))

    def validate_registered_on(self, value, dispatcher, tracker, domain):
        return self._keep(tracker, "registered_on", normalize.parse_date(value))

    def validate_first_startup(self, value, dispatcher, tracker, domain):
        return self._keep(tracker, "first_startup", normalize.parse_bool(value))

    def validate_has_ip(self, value, dispatcher, tracker, domain):
        return self._keep(tracker, "has_ip", normalize.parse_bool(value))

    def validate_region(self, value, dispatcher, tracker, domain):
        """Keep the place as said; the matcher splits it into province / city / district."""
        text = str(value or "").strip()
        return self._keep(tracker, "region", text if normalize.parse_region(text) else None)


class ValidateSlotMappings(ProfileSlotValidation, ValidationAction):
    """Runs after every user message, form or not: the profile grows from whatever is said, and
    a policy question sets the family it is about (one action server call per turn, not two)."""

    def name(self) -> Text:
        return "action_validate_slot_mappings"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        """Profile slots first, then actions/routing.py decides what the message is."""
        events = await super().run(dispatcher, tracker, domain)  # also updates tracker.slots
        return events + route_events(dispatcher, tracker)


class ValidateProfileForm(ProfileSlotValidation, FormValidationAction):
    def name(self) -> Text:
        return "validate_profile_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        """Only the matcher's next question, and at most MAX_QUESTIONS per owner question."""
        since = events_since_slot(tracker, "current_family")
        asked = {e.get("value") for e in since
                 if e.get("event") == "slot" and e.get("name") == "requested_slot" and e.get("value")}
        # Replies count too: an answer we could not use is asked again, but not forever.
        replies = sum(1 for e in since if e.get("event") == "user")
        if len(asked) >= MAX_QUESTIONS or replies >= MAX_QUESTIONS:
            return []
        report = match_tracker(tracker)
        selected = present.select(report, present.families_for(tracker.get_slot("current_family")))
        question = matcher.next_question(selected)
        return [field_slot(question["field"])] if question else []
