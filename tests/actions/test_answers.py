"""What the owner reads first: answers, amounts, ended policies, applying — actions run in-process
with a collecting dispatcher, on the real knowledge base."""
from __future__ import annotations

import asyncio

from rasa_sdk.executor import CollectingDispatcher

from actions.matching import ActionAnswerPolicies, ActionExplainApplication
from actions.profile import ValidateSlotMappings
from actions.registration import ActionBusinessRegistration
from tests.actions.support import DOMAIN, run, texts, tracker


def test_veteran_asking_about_the_loan_gets_300k_with_source(kb_url):
    messages, slots = run(ActionAnswerPolicies(), tracker(
        {"current_family": "ask_guaranteed_loan", "entity_type": "个体工商户", "identities": ["退役军人"]}))
    answer = texts(messages)
    assert "创业担保贷款" in answer and "30 万" in answer and "财金〔2023〕75号" in answer
    assert "✅" in answer and "知识库" in answer
    assert all(len(m["text"]) <= 600 for m in messages)
    assert slots["current_policy"] == "startup_guaranteed_loan"

def test_social_insurance_answer_shows_2022_deferral_as_ended(kb_url):
    messages, _ = run(ActionAnswerPolicies(), tracker(
        {"current_family": "ask_social_insurance", "entity_type": "个体工商户", "industry": "餐饮", "insured_as": "个人"}))
    answer = texts(messages)
    ended = answer.split("⏹")[1] if "⏹" in answer else ""
    assert "2022" in ended
    assert "缓缴" not in answer.split("⏹")[0].split("✅")[-1] or "2025" in answer

def test_can_i_apply_gets_a_verdict_and_what_applies_instead(kb_url):
    messages, _ = run(ActionAnswerPolicies(), tracker(
        {"current_family": "ask_tax_relief", "entity_type": "个体工商户"}, text="个体户能不能享受小微企业那个5%的所得税",
        intent="ask_tax_relief"))
    answer = texts(messages)
    assert answer.startswith("关于「小型微利企业所得税") and "不能" in answer.split("\n")[0]
    assert "经营所得个人所得税减半" in answer and "12366" in answer

def test_application_process_for_policy_in_context(kb_url):
    messages, _ = run(ActionExplainApplication(), tracker({"current_policy": "startup_guaranteed_loan"}, text="要带什么材料",
                                                          intent="ask_application_process"))
    answer = texts(messages)
    assert "材料" in answer and "身份证" in answer and "去哪办" in answer
    assert "步骤" not in answer  # the part asked for, not the whole how-to block again
    messages, _ = run(ActionExplainApplication(), tracker({"current_policy": "startup_guaranteed_loan"}, text="审批要多久",
                                                          intent="ask_application_process"))
    assert "工作日" in texts(messages) and "身份证" not in texts(messages)

def test_restaurant_guide(kb_url):
    messages, _ = run(ActionBusinessRegistration(), tracker({}, text="我要开饭店要办什么证", intent="ask_business_registration"))
    answer = texts(messages)
    assert "食品经营许可" in answer and "营业执照" in answer

def test_amounts_come_from_the_policy_data_with_their_formula(kb_url):
    messages, _ = run(ActionAnswerPolicies(), tracker(
        {"current_family": "ask_tax_relief", "entity_type": "个体工商户", "taxpayer_type": "小规模纳税人",
         "monthly_sales": 8, "annual_taxable_income": 30}, text="我这情况税能省多少", intent="ask_tax_relief"))
    answer = texts(messages)
    assert "9,600" in answer and "8万 × 1% × 12" in answer
    assert "24,750" in answer  # 经营所得: (30万×20%−10500)×50%
    messages, _ = run(ActionAnswerPolicies(), tracker(
        {"current_family": "ask_startup_subsidy", "entity_type": "个体工商户", "identities": ["高校毕业生"]},
        text="一次性创业补贴能补多少钱", intent="ask_startup_subsidy"))
    assert "以当地为准" in texts(messages) and "元（" not in messages[0]["text"]

def test_ended_policy_is_said_ended_first_with_its_document(kb_url):
    messages, _ = run(ActionAnswerPolicies(), tracker({"current_family": "ask_social_insurance", "industry": "居民服务"},
                                                      text="现在社保还能缓交吗，我开理发店的", intent="ask_social_insurance"))
    first = messages[0]["text"]
    assert first.startswith("⏹") and "已结束" in first and "人社厅发〔2022〕16号" in first and "国办发〔2025〕25号" in first

def test_pinyin_and_english_questions_get_their_familys_answer(kb_url):
    dispatcher = CollectingDispatcher()
    t = tracker({}, text="she bao neng huan jiao ma", intent="out_of_scope")
    slots = {e["name"]: e["value"] for e in asyncio.run(ValidateSlotMappings().run(dispatcher, t, DOMAIN))
             if e.get("event") == "slot"}
    assert slots["current_family"] == "ask_social_insurance" and slots["route"] == "answer"
    assert "社会保险" in texts(dispatcher.messages) or "社保" in texts(dispatcher.messages)
    slots = run(ValidateSlotMappings(), tracker({}, text="what can you do", intent="thank"))[1]
    assert slots["route"] == "help"

def test_a_question_the_policy_answers_itself_gets_that_answer_first(kb_url):
    messages, _ = run(ActionAnswerPolicies(), tracker({"current_family": "ask_guaranteed_loan"},
                                                       text="担保贷款利息谁出", intent="ask_guaranteed_loan"))
    first = messages[0]["text"]
    assert first.startswith("「创业担保贷款及财政贴息」：利息由财政补贴一部分")
