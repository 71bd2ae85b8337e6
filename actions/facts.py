"""Facts said in passing, read from the text beyond what NLU tagged: staff are not the owner,
sales keep their period, profit is not sales, 以单位交 / 是头一回 fill their slots."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions import understand
from actions.common import latest_text, previous_value
from policies_kb import normalize


def set_slot(tracker: Tracker, events: List[Dict[Text, Any]], slot: str, value: Any) -> None:
    """Record the change and show it to the matcher run later in this same call."""
    events.append(SlotSet(slot, value))
    tracker.slots[slot] = value


def owner_identities(tracker: Tracker, events: List[Dict[Text, Any]]) -> None:
    """"我招了个应届生": the graduate is staff, not the owner — drop identities said about others."""
    text = latest_text(tracker)
    hired = []
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") != "identity" or entity.get("start") is None:
            continue
        before = text[max(0, entity["start"] - 6):entity["start"]]
        if understand.HIRED.search(before) and not understand.OWNER_SELF.search(before):
            hired.append(entity.get("value"))
    if hired:
        kept = [i for i in (tracker.get_slot("identities") or []) if i not in hired]
        set_slot(tracker, events, "identities", kept or None)


def amounts_from_text(tracker: Tracker, events: List[Dict[Text, Any]]) -> None:
    """Sales keep their period (月/季/年), profit goes to the taxable income, not to sales;
    "个体户能不能享受小微企业…" keeps the owner's own type (said first), not the policy's."""
    text = latest_text(tracker)
    entities = tracker.latest_message.get("entities") or []
    for entity in entities:
        if entity.get("entity") in ("monthly_sales", "annual_sales") and entity.get("start") is not None \
                and understand.income_clause(text, entity["start"]):
            set_slot(tracker, events, "monthly_sales", previous_value(tracker, "monthly_sales"))
        if entity.get("entity") == "employees" and entity.get("end") is not None and \
                re.search(r"[万千块元]", text[entity.get("start", 0):entity["end"] + 2]):
            set_slot(tracker, events, "employees", previous_value(tracker, "employees"))  # "七十来万" is money
    for slot in ("entity_type", "taxpayer_type"):
        said = [normalize.canonical(slot, e.get("value")) for e in entities if e.get("entity") == slot]
        said = [t for t in said if t]
        if len(set(said)) > 1:
            set_slot(tracker, events, slot, said[0])
    sales = understand.sales_per_month(text)
    if sales is not None:
        set_slot(tracker, events, "monthly_sales", sales)
    if not tracker.get_slot("insured_as"):
        if re.search(r"以单位|单位(交|缴|给)|给员工(交|缴|上)|公司(交|缴)", text):
            set_slot(tracker, events, "insured_as", "单位")
        elif re.search(r"以个人|个人(交|缴|身份)|自己(交|缴)|灵活就业", text):
            set_slot(tracker, events, "insured_as", "个人")
    income = understand.income_per_year(text)
    if income is not None:
        set_slot(tracker, events, "annual_taxable_income", income)


BOOL_FACTS = [("first_startup", re.compile(r"头一回|头一次|第一次|首次|第一回"), True),
              ("first_startup", re.compile(r"不是第一次|以前开过|之前开过|创过业|第二次"), False),
              ("has_ip", re.compile(r"有(专利|商标)|(专利|商标)有"), True),
              ("has_ip", re.compile(r"没有?(专利|商标)"), False)]


def bool_fact(text: str):
    """(slot, value) for a yes/no fact said in so many words ("是头一回"), else None."""
    hit = None
    for slot, pattern, value in BOOL_FACTS:
        if pattern.search(text):
            hit = (slot, value)  # later patterns are the negative ones: they win
    return hit


def unsolicited_facts(tracker: Tracker, events: List[Dict[Text, Any]]) -> None:
    """A short statement with no question open ("以个人交", "是头一回") still fills what it says."""
    text = latest_text(tracker)
    if understand.is_question(text) or len(text) > 10:
        return
    found = bool_fact(text)
    if found:
        set_slot(tracker, events, *found)
    for field in ("insured_as", "taxpayer_type", "entity_type"):
        if not tracker.get_slot(field):
            taken, value = understand.answer_to(field, text)
            if taken and value != understand.UNKNOWN:
                set_slot(tracker, events, field, value)
