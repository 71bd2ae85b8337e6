"""The conversation around the answers: open questions, bare answers, the profile form, slot
validation, complaints, handoff and fallback — actions in-process on the real knowledge base."""
from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.complaints import ActionSubmitFeeComplaint
from actions.fallback import ActionFallbackOptions
from actions.handoff import ActionHandoff
from actions.matching import ActionAnswerPolicies
from actions.profile import ValidateProfileForm, ValidateSlotMappings
from tests.actions.support import DOMAIN, run, texts, tracker


def test_a_policy_question_sets_its_family_and_the_named_policy(kb_url):
    _, slots = run(ValidateSlotMappings(), tracker({}, text="我是个体户，能享受六税两费减半吗", intent="ask_tax_relief"))
    assert slots["current_family"] == "ask_tax_relief"
    assert slots["current_policy"] == "six_taxes_two_fees_half"

def test_a_question_with_every_deciding_fact_known_is_ready_to_answer(kb_url):
    known = {"entity_type": "个体工商户", "identities": ["退役军人"]}
    assert run(ValidateSlotMappings(), tracker(known, text="贷款能贷多少", intent="ask_guaranteed_loan"))[1]["ready_to_answer"] is True
    assert run(ValidateSlotMappings(), tracker({}, text="贷款能贷多少", intent="ask_guaranteed_loan"))[1]["ready_to_answer"] is False

def test_a_new_question_while_a_question_is_open_switches_family_but_an_answer_does_not(kb_url):
    asking = tracker({"current_family": "ask_startup_subsidy", "asked_slot": "identities"}, text="社保能缓缴吗",
                     intent="ask_social_insurance")
    slots = run(ValidateSlotMappings(), asking)[1]
    assert slots["current_family"] == "ask_social_insurance" and slots["asked_slot"] is None
    answer = tracker({"current_family": "ask_startup_subsidy", "asked_slot": "entity_type"}, text="我是个体户",
                     intent="inform_profile")
    slots = run(ValidateSlotMappings(), answer)[1]
    assert "current_family" not in slots and slots["entity_type"] == "个体工商户" and slots["route"] == "answer"
    # With no open question a profile fact answers for the family already in context.
    answer = tracker({"current_family": "ask_startup_subsidy"}, text="我是个体户", intent="inform_profile")
    assert run(ValidateSlotMappings(), answer)[1]["current_family"] == "ask_startup_subsidy"

def test_an_answer_to_the_open_question_keeps_the_family_whatever_its_intent(kb_url):
    # "以个人交" is classified as a social-insurance question but answers the question asked.
    answer = tracker({"current_family": "find_policies", "asked_slot": "insured_as"}, text="以个人交",
                     intent="ask_social_insurance")
    slots = run(ValidateSlotMappings(), answer)[1]
    assert "current_family" not in slots and slots["insured_as"] == "个人" and slots["route"] == "answer"

@pytest.mark.parametrize("asked,text,intent,slot,value", [
    ("monthly_sales", "6万", "nlu_fallback", "monthly_sales", 6.0),
    ("monthly_sales", "一个季度二十多万", "inform_profile", "monthly_sales", 8.33),
    ("employees", "3个", "goodbye", "employees", 3),
    ("registered_on", "去年5月", "nlu_fallback", "registered_on", None),
    ("first_startup", "是头一回", "affirm", "first_startup", True),
    ("has_ip", "有的", "affirm", "has_ip", True),
    ("identities", "都不是", "deny", "identities", []),
    ("taxpayer_type", "不清楚", "deny", "skipped_fields", ["taxpayer_type"]),
])
def test_a_bare_answer_is_taken_as_the_answer_before_any_intent(kb_url, asked, text, intent, slot, value):
    slots = run(ValidateSlotMappings(), tracker({"current_family": "find_policies", "asked_slot": asked},
                                                text=text, intent=intent))[1]
    assert slots["route"] == "answer" and slots["asked_slot"] is None
    if value is None:
        assert slots[slot].endswith("-05-01")
    else:
        assert slots[slot] == value

def test_sales_keep_their_period_and_profit_is_not_sales(kb_url):
    slots = run(ValidateSlotMappings(), tracker({}, text="小卖部一个月卖六万来块，一年挣三十万左右，税上有啥优惠",
                                                intent="ask_tax_relief"))[1]
    assert slots["monthly_sales"] == 6.0 and slots["annual_taxable_income"] == 30.0
    slots = run(ValidateSlotMappings(), tracker({}, text="一个季度营业额二十多万，增值税咋算", intent="ask_tax_relief"))[1]
    assert slots["monthly_sales"] == 8.33  # 二十多万 ≈ 25万 a quarter

def test_more_pages_the_last_answer(kb_url):
    slots = run(ValidateSlotMappings(), tracker({"last_answer": "…", "page": 1}, text="还有吗", intent="goodbye"))[1]
    assert slots["page"] == 2 and slots["route"] == "answer"

def test_hired_staff_is_not_the_owners_identity(kb_url):
    t = tracker({"identities": ["高校毕业生"]}, text="我招了个应届生，有补贴吗", intent="ask_startup_subsidy")
    t.latest_message["entities"] = [{"entity": "identity", "value": "高校毕业生", "start": 5, "end": 8}]
    assert run(ValidateSlotMappings(), t)[1]["identities"] is None

def test_cancel_while_waiting_for_a_human_hands_back(kb_url):
    slots = run(ValidateSlotMappings(), tracker({"handoff_active": True}, text="不用人工了", intent="deny"))[1]
    assert slots["handoff_active"] is False and slots["route"] == "handoff_cancel"
    messages, slots = run(ValidateSlotMappings(), tracker({"handoff_active": True}, text="人呢", intent="nlu_fallback"))
    assert messages[0]["response"] == "utter_handoff_waiting" and "handoff_active" not in slots  # told, still held
    messages, _ = run(ValidateSlotMappings(), tracker({"handoff_active": True}, text="好的", intent="affirm"))
    assert messages == []  # anything else waits quietly for the person

def test_waiting_reply_when_switched_off(kb_url, monkeypatch):
    from actions import routing

    monkeypatch.setattr(routing, "WAITING_REPLY", False)
    messages, _ = run(ValidateSlotMappings(), tracker({"handoff_active": True}, text="人呢", intent="nlu_fallback"))
    assert messages == []

def test_other_intents_leave_the_family_alone(kb_url):
    for intent in ("greet", "affirm", "ask_business_registration", "ask_application_process"):
        assert "current_family" not in run(ValidateSlotMappings(), tracker({}, text="好", intent=intent))[1]

def test_form_asks_only_deciding_questions_and_nothing_when_all_known(kb_url):
    form = ValidateProfileForm()
    empty = tracker({"current_family": "ask_guaranteed_loan"})
    asked = asyncio.run(form.required_slots([], CollectingDispatcher(), empty, DOMAIN))
    assert asked and asked[0] in ("identities", "entity_type")
    full = tracker({"current_family": "ask_guaranteed_loan", "entity_type": "个体工商户", "identities": ["退役军人"]})
    assert asyncio.run(form.required_slots([], CollectingDispatcher(), full, DOMAIN)) == []

def test_form_stops_after_three_questions(kb_url):
    events = [{"event": "slot", "name": "current_family", "value": "find_policies"}] + [
        {"event": "slot", "name": "requested_slot", "value": s} for s in ("entity_type", "identities", "industry")]
    t = tracker({"current_family": "find_policies"}, events=events)
    assert asyncio.run(ValidateProfileForm().required_slots([], CollectingDispatcher(), t, DOMAIN)) == []

def test_form_stops_re_asking_an_unanswered_question(kb_url):
    # The owner answered three times and none of it fitted: answer with what is known.
    events = [{"event": "slot", "name": "current_family", "value": "find_policies"}]
    for text in ("嗯", "不知道", "随便吧"):
        events += [{"event": "slot", "name": "requested_slot", "value": "identities"}, {"event": "user", "text": text}]
    t = tracker({"current_family": "find_policies"}, events=events)
    assert asyncio.run(ValidateProfileForm().required_slots([], CollectingDispatcher(), t, DOMAIN)) == []
    t = tracker({"current_family": "find_policies"}, events=events[:-2])  # two replies: one more try
    assert asyncio.run(ValidateProfileForm().required_slots([], CollectingDispatcher(), t, DOMAIN))

@pytest.mark.parametrize("method,value,expected", [
    ("validate_entity_type", "个体户", {"entity_type": "个体工商户"}),
    ("validate_industry", "烧烤店", {"industry": "餐饮"}),
    ("validate_employees", "三个", {"employees": 3}),
    ("validate_monthly_sales", "五万", {"monthly_sales": 5}),
    ("validate_taxpayer_type", "小规模", {"taxpayer_type": "小规模纳税人"}),
    ("validate_first_startup", "是第一次", {"first_startup": True}),
    ("validate_has_ip", "没有", {"has_ip": False}),
    ("validate_registered_on", "2024年3月", {"registered_on": "2024-03-01"}),
])
def test_slot_validation_canonicalises(method, value, expected):
    result = getattr(ValidateSlotMappings(), method)(value, CollectingDispatcher(), tracker(), DOMAIN)
    assert {k: result[k] for k in expected} == expected

def test_identities_accumulate_and_none_means_empty():
    v = ValidateSlotMappings()
    assert v.validate_identity("退伍的", None, tracker({"identities": ["高校毕业生"]}), DOMAIN)["identities"] == ["高校毕业生", "退役军人"]
    assert v.validate_identities("都不是", None, tracker(), DOMAIN) == {"identities": []}

def test_unclear_answer_keeps_what_we_knew():
    events = [{"event": "slot", "name": "employees", "value": 4}, {"event": "user", "text": "啥"},
              {"event": "slot", "name": "employees", "value": "啥"}]
    t = tracker({"employees": "啥"}, events=events)
    assert ValidateSlotMappings().validate_employees("啥", None, t, DOMAIN) == {"employees": 4}

def test_fee_complaint_summary_and_hotlines():
    messages, slots = run(ActionSubmitFeeComplaint(), tracker(
        {"fee_what": "门前三包管理费", "fee_who": "街道办", "fee_when": "上个月", "fee_amount": "800元"}))
    answer = texts(messages)
    assert "门前三包管理费" in answer and "12345" in answer and "12315" in answer
    assert answer.index("12345") < answer.index("门前三包管理费")  # the channel first
    assert slots == {"fee_open": False}  # nothing left to add

def test_handoff_summarises_and_goes_quiet(kb_url):
    events = [{"event": "user", "text": "创业贷款能贷多少", "parse_data": {"intent": {"name": "ask_guaranteed_loan"}}},
              {"event": "user", "text": "转人工", "parse_data": {"intent": {"name": "request_human"}}}]
    messages, slots = run(ActionHandoff(), tracker({"entity_type": "个体工商户"}, events=events, intent="request_human"))
    assert slots["handoff_active"] is True
    assert "创业贷款能贷多少" in slots["handoff_summary"] and "个体工商户" in slots["handoff_summary"]

def test_fallback_offers_top_intents_as_choices():
    ranking = [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "ask_tax_relief", "confidence": 0.3},
               {"name": "ask_guaranteed_loan", "confidence": 0.2}, {"name": "greet", "confidence": 0.1}]
    messages, _ = run(ActionFallbackOptions(), tracker(intent="nlu_fallback", ranking=ranking))
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads == ["/ask_tax_relief", "/ask_guaranteed_loan"]

def test_fee_complaint_answers_with_channels_from_the_first_message():
    t = tracker({"fee_what": "摊位费", "fee_who": "市场管理"}, text="市场管理的乱收摊位费，我要举报", intent="report_illegal_fee")
    messages, slots = run(ActionSubmitFeeComplaint(), t)
    assert "12345" in messages[0]["text"] and "12315" in messages[0]["text"] and "12358" in messages[0]["text"]
    assert "摊位费" in messages[1]["text"] and "市场管理" in messages[1]["text"]
    assert slots == {"fee_open": True}  # time and amount may follow, they are not asked for

def test_more_keeps_the_open_question_open(kb_url):
    messages, slots = run(ActionAnswerPolicies(), tracker(
        {"current_family": "ask_tax_relief", "page": 2, "asked_slot": "identities", "last_answer": "…"},
        text="更多", intent="goodbye"))
    assert messages[-1].get("response") == "utter_ask_identities"
    assert "asked_slot" not in slots  # still open: a bare answer next is taken as its answer

@pytest.mark.parametrize("text, amount, what", [
    ("乱收卫生费一块钱一天，去哪举报", "每天 一块钱", "卫生费"),
    ("每个月收300块管理费", "每月 300块", "管理费"),
    ("物业非让我交两千块装修保证金", "两千块", "装修保证金"),
])
def test_complaint_facts_keep_the_amounts_period_and_a_clean_fee_name(text, amount, what):
    from actions.understand import fee_facts
    facts = fee_facts(text)
    assert facts["fee_amount"] == amount and facts["fee_what"] == what

def test_a_count_answering_another_open_point_is_kept_when_nlu_filled_it(kb_url):
    # "3个" to the identity question: the employees NLU read is the answer, not noise to undo
    t = tracker({"current_family": "ask_social_insurance", "asked_slot": "identities", "entity_type": "小微企业",
                 "employees": 3}, text="3个", intent="goodbye")
    t.events = [{"event": "user", "text": "3个"}, {"event": "slot", "name": "employees", "value": 3}]
    slots = run(ValidateSlotMappings(), t)[1]
    assert slots.get("employees", 3) == 3 and "skipped_fields" not in slots and slots["route"] == "answer"

def test_handoff_summary_names_the_question_not_the_bare_answer_after_it(kb_url):
    events = [{"event": "user", "text": "我开个早餐店想贷点款", "parse_data": {"intent": {"name": "ask_guaranteed_loan"}}},
              {"event": "user", "text": "6万", "parse_data": {"intent": {"name": "inform_profile"}}},
              {"event": "user", "text": "转人工", "parse_data": {"intent": {"name": "request_human"}}}]
    _, slots = run(ActionHandoff(), tracker({"question_text": "我开个早餐店想贷点款"}, events=events, intent="request_human"))
    assert "问题：我开个早餐店想贷点款（之后补充：6万）" in slots["handoff_summary"]
