"""What this message is, decided before any rule reads the intent (runs inside
action_validate_slot_mappings): an answer to the question the bot asked, "更多", a complaint
follow-up, "取消" while waiting for a human, or a new question setting its family."""
from __future__ import annotations

import re
import time
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import handoff_hours, understand
from actions.facts import amounts_from_text, bool_fact, owner_identities, set_slot, unsolicited_facts
from actions.common import field_slot, latest_text, match_tracker, previous_value
from bot.settings import Settings
from policies_kb import loader, matcher, present

# Intents whose rules answer with the policy list (data/rules/rules.yml).
MATCHING_INTENTS = (set(present.INTENT_FAMILIES) - {"ask_business_registration"}) | {"find_policies"}
# A message with one of these intents that reads as a question is a new question, not an answer.
NEW_QUESTION_INTENTS = MATCHING_INTENTS | {"report_illegal_fee", "request_human", "ask_application_process",
                                           "ask_business_registration"}
COMPLAINT = re.compile(r"(乱收|乱罚|摊派|强制.{0,6}(交|收)|非让我交|非要我交|逼.{0,3}交).{0,20}|(举报|投诉|反映).{0,10}(费|罚)|(费|罚款).{0,16}(举报|投诉|去哪反映|合理吗)")
HUMAN_WORDS = re.compile(r"人工|真人|客服|工作人员|找人|转人|有人吗|活人|接线员|坐席")
HANDOFF_TIMEOUT_MINUTES = Settings.from_env().handoff_timeout_minutes
# "人呢" while waiting for a person is told what happens (utter_handoff_waiting), never silence;
# HANDOFF_WAITING_REPLY=0 keeps the bot quiet while a human holds the conversation.
WAITING_REPLY = Settings.from_env().handoff_waiting_reply


def _intent(tracker: Tracker) -> str:
    return (tracker.latest_message.get("intent") or {}).get("name") or ""


def handoff_events(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> List[Dict[Text, Any]]:
    """While a human holds the conversation: 取消 hands back to the bot, 人呢 gets told what happens;
    nobody answering within HANDOFF_TIMEOUT_MINUTES hands back too."""
    if understand.CANCEL_HANDOFF.search(text):
        return [SlotSet("handoff_active", False), SlotSet("route", "handoff_cancel")]
    started = tracker.get_slot("handoff_at")
    if started and time.time() - float(started) > HANDOFF_TIMEOUT_MINUTES * 60:
        # only an operator's message counts (the bot's own "排队中" reply does not)
        operator_spoke = any(e.get("event") == "bot" and (e.get("metadata") or {}).get("operator")
                             and (e.get("timestamp") or 0) > float(started) + 1 for e in tracker.events)
        if not operator_spoke:
            dispatcher.utter_message(text=handoff_hours.no_answer_message(HANDOFF_TIMEOUT_MINUTES))
            return [SlotSet("handoff_active", False), SlotSet("route", None)]
    if WAITING_REPLY and understand.WAITING.search(text):
        dispatcher.utter_message(response="utter_handoff_waiting")
    return []


def open_question_events(tracker: Tracker, events: List[Dict[Text, Any]]) -> bool:
    """The bot's last answer ended with a question: a reply that fits it is that answer."""
    asked = tracker.get_slot("asked_slot")
    text = latest_text(tracker)
    if not asked:
        return False
    if _intent(tracker) in NEW_QUESTION_INTENTS and understand.is_question(text) and len(text) > 4:
        set_slot(tracker, events, "asked_slot", None)
        return False
    taken, value = understand.answer_to(asked, text)
    if not taken and _intent(tracker) in ("affirm", "deny") and asked in ("first_startup", "has_ip"):
        taken, value = True, _intent(tracker) == "affirm"
    if not taken:
        # "是头一回" to the date question: an answer to another open point still counts.
        # "3个" to the identity question: NLU already filled employees, so it is not "missing" any more
        changed = [s for s in ("employees", "monthly_sales", "annual_taxable_income")
                   if tracker.get_slot(s) != previous_value(tracker, s)]
        for other in still_missing(tracker) + changed:
            if other != asked and other not in ("first_startup", "has_ip"):
                other_taken, other_value = understand.answer_to(other, text)
                if other_taken and other_value != understand.UNKNOWN:
                    asked, taken, value = other, True, other_value
                    break
        if not taken:
            found = bool_fact(text)
            if found:
                (asked, value), taken = found, True
    # "好的" / "嗯" after an answer is a nod, not an answer: the ordinary rules reply to it.
    if not taken and _intent(tracker) in ("nlu_fallback", "goodbye", "out_of_scope") \
            and not re.search(r"再见|拜拜|不聊了|不用了|没事了", text):
        taken, value = True, understand.UNKNOWN  # could not use it: answer anyway, ask something else
    if not taken:
        return False
    if value == understand.UNKNOWN:
        skipped = list(tracker.get_slot("skipped_fields") or [])
        set_slot(tracker, events, "skipped_fields", skipped + [asked])
    elif asked == "identities":
        old = [i for i in (tracker.get_slot("identities") or []) if i]
        set_slot(tracker, events, "identities", sorted(set(old) | set(value), key=(old + value).index) if value else [])
    else:
        set_slot(tracker, events, asked, value)
    for slot in ("employees", "monthly_sales", "annual_taxable_income"):
        # "去年5月" answers the date: the 5 NLU also read is not a head count
        if slot != asked and tracker.get_slot(slot) != previous_value(tracker, slot):
            set_slot(tracker, events, slot, previous_value(tracker, slot))
    set_slot(tracker, events, "asked_slot", None)
    set_slot(tracker, events, "route", "answer")
    return True


def still_missing(tracker: Tracker) -> List[str]:
    """Profile slots the current family's "possible" policies still depend on, most deciding first."""
    selected = present.select(match_tracker(tracker), present.families_for(tracker.get_slot("current_family")))
    fields = [f for r in selected if r.status == "possible" for f in r.missing]
    ranked = sorted(set(fields), key=lambda f: (-fields.count(f), matcher.QUESTION_PRIORITY.index(f)
                                                if f in matcher.QUESTION_PRIORITY else 99))
    return list(dict.fromkeys(field_slot(f) for f in ranked))


def fee_events(tracker: Tracker, events: List[Dict[Text, Any]]) -> bool:
    """After the complaint channels: details the owner adds update the summary."""
    if not tracker.get_slot("fee_open"):
        return False
    text, intent = latest_text(tracker), _intent(tracker)
    if intent in NEW_QUESTION_INTENTS - {"report_illegal_fee"} and understand.is_question(text):
        set_slot(tracker, events, "fee_open", False)
        return False
    if intent == "deny" or re.search(r"^(不用|算了|不要)", text):
        set_slot(tracker, events, "fee_open", False)
        return False
    facts = understand.fee_facts(text)
    for slot, value in facts.items():
        set_slot(tracker, events, slot, value)
    for slot in ("employees", "monthly_sales"):  # "收了300" is the fee, not a head count
        if tracker.get_slot(slot) != previous_value(tracker, slot) and facts:
            set_slot(tracker, events, slot, previous_value(tracker, slot))
    if facts or intent in ("affirm", "report_illegal_fee", "inform_profile", "nlu_fallback"):
        set_slot(tracker, events, "route", "fee")
        return True
    return False


def route_events(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
    text, intent = latest_text(tracker), _intent(tracker)
    events: List[Dict[Text, Any]] = [SlotSet("route", None)]
    tracker.slots["route"] = None
    if tracker.get_slot("handoff_active"):
        return events + handoff_events(dispatcher, tracker, text)
    if re.search(r"[A-Za-z]{3,}", text) and not re.search(r"[\u4e00-\u9fff]", text):
        return events + latin_events(dispatcher, tracker, text)
    owner_identities(tracker, events)
    amounts_from_text(tracker, events)
    if understand.PAGE.match(text.strip()) and tracker.get_slot("last_answer"):
        set_slot(tracker, events, "page", int(tracker.get_slot("page") or 1) + 1)
        set_slot(tracker, events, "route", "answer")
        return events
    if faq_events(tracker, events) or fee_events(tracker, events) or open_question_events(tracker, events):
        return events
    if intent == "request_human" and not HUMAN_WORDS.search(text) and not text.startswith("/"):
        set_slot(tracker, events, "route", "help")  # "你们这个机器人能干啥" is not a request for a person
        return events
    unsolicited_facts(tracker, events)
    if intent not in NEW_QUESTION_INTENTS and COMPLAINT.search(text):
        intent = "report_illegal_fee"  # NLU missed it; the words say it
        set_slot(tracker, events, "route", "fee")
    if intent == "report_illegal_fee":
        for slot in ("fee_what", "fee_who", "fee_when", "fee_amount"):
            set_slot(tracker, events, slot, None)
        for slot, value in understand.fee_facts(text).items():
            set_slot(tracker, events, slot, value)
        return events
    return events + family_events(tracker)


# Family → the intent that asks about it (a question whose intent NLU missed).
FAMILY_INTENTS = {"social_insurance": "ask_social_insurance", "employment": "ask_social_insurance",
                  "startup_subsidy": "ask_startup_subsidy", "guaranteed_loan": "ask_guaranteed_loan",
                  "tax_relief": "ask_tax_relief", "ip_financing": "ask_ip_financing",
                  "returnee_startup": "ask_returnee_startup", "veteran_support": "ask_veteran_support"}


def _hit(result, text: str) -> int:
    """Length of the longest name or keyword of `result` found in `text`."""
    words = [result.record.data["name"]] + list(result.record.data.get("keywords") or [])
    return max((len(w) for w in words if w and w in re.sub(r"\s", "", text)), default=0)


def latin_events(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> List[Dict[Text, Any]]:
    """English or pinyin: the family it names answered in Chinese, else what the bot does."""
    found = understand.latin_topic(text)
    if found is None or found[0] not in FAMILY_INTENTS:
        dispatcher.utter_message(text="政策通 answers in Chinese about support policies for small businesses "
                                      "in China (tax relief, loans, subsidies, social insurance).")
        return [SlotSet("route", "help")]
    family, word = found
    dispatcher.utter_message(text=f"（I read this as a question about “{word}”; the answer is in Chinese. "
                                  f"我理解您问的是「{loader.FAMILIES[family]}」，下面用中文回答。）")
    return [SlotSet("current_family", FAMILY_INTENTS[family]), SlotSet("asked_slot", None),
            SlotSet("current_policy", None), SlotSet("questions_asked", 0), SlotSet("question_text", text),
            SlotSet("page", None), SlotSet("route", "answer")]


def faq_events(tracker: Tracker, events: List[Dict[Text, Any]]) -> bool:
    """"要抵押不" after the loan answer: a question one of the open family's policies answers in
    its own `faq` is that family's question, whatever NLU made of the short text."""
    family, text = tracker.get_slot("current_family"), re.sub(r"\s", "", latest_text(tracker))
    if not family or family == "find_policies" or len(text) > 30:
        return False
    families = set(present.families_for(family))
    # the published texts only (cached per knowledge-base version): no matching for a message
    # that is no such question, which is most of them
    for record in matcher.published_records()[1].records:
        if record.data["family"] in families and present.faq_for(record.data, text):
            for slot, value in (("asked_slot", None), ("current_policy", record.id), ("question_text", text),
                                ("page", None), ("route", "answer")):
                set_slot(tracker, events, slot, value)
            return True
    return False


def family_events(tracker: Tracker) -> List[Dict[Text, Any]]:
    """A new policy question: its family, any policy it names, a fresh question budget."""
    intent = _intent(tracker)
    text = latest_text(tracker)
    family = tracker.get_slot("current_family")
    report = match_tracker(tracker)
    everywhere = present.mentioned([r for r in report.results if not r.record.data.get("overlays")
                                    and r.record.data["family"] != "business_registration"], text)
    if intent in MATCHING_INTENTS:
        family = intent
    elif everywhere and intent in ("nlu_fallback", "out_of_scope", "affirm", "deny", "greet") and len(text) > 6:
        family = FAMILY_INTENTS.get(everywhere[0].record.data["family"], "find_policies")
    elif intent != "inform_profile":
        return []
    family = family or "find_policies"
    if family == "find_policies" and understand.topic(text):
        family = understand.topic(text)  # "小微企业……税收有什么优惠": the tax answer, not everything
    selected = present.select(report, present.families_for(family))
    named = present.mentioned(selected, text)
    # A policy named outside the family asked about wins only when named clearly ("留工培训补助").
    if everywhere and _hit(everywhere[0], text) >= 4 and (not named or _hit(everywhere[0], text) > _hit(named[0], text)):
        family = everywhere[0].record.data["family"]  # "留工培训补助" asked as a subsidy question
        selected = present.select(report, present.families_for(family))
        named = everywhere[:1]
    events = [SlotSet("current_family", family), SlotSet("asked_slot", None)]
    events.append(SlotSet("ready_to_answer", matcher.next_question(selected) is None))
    if intent != "inform_profile" or family != tracker.get_slot("current_family"):
        events += [SlotSet("current_policy", named[0].policy_id if named else None), SlotSet("questions_asked", 0),
                   SlotSet("question_text", text)]
    if intent not in MATCHING_INTENTS and intent != "inform_profile":
        events.append(SlotSet("route", "answer"))
    if not (tracker.latest_message.get("entities") and any(
            e.get("entity") == "page" for e in tracker.latest_message["entities"])):
        events.append(SlotSet("page", None))
    return events
