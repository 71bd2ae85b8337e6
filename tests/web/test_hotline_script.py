"""The spoken script (policies_kb.spoken) and what the call page builds around it,
against the real imported knowledge base: it never says "您问到的" of a policy the caller did
not name, answers first and asks one question last, brings the steps when asked how to apply,
and a topic orders the list without hiding other fitting policies. Also policy search and
range amounts, through the same functions the bot uses."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from bot.web import call, call_form
from policies_kb import lookup, matcher, normalize, present, spoken

VETERAN = {"entity_type": "个体工商户", "industry": "餐饮", "identities": ["退役军人"], "employees": 2,
           "region": {"province": "示例省", "city": "示例市"}}


def view(profile, *, topic="", turns=(), picked=None, how_to=False):
    report = matcher.match(profile)
    request = SimpleNamespace(ctx=SimpleNamespace(user=None))  # build_view reads only the operator's name
    return call.build_view(request, report, topic=topic, turns=list(turns), picked=picked, how_to=how_to)


def test_empty_call_names_nothing_as_asked_and_no_ended_policy(kb_url):
    report = matcher.match({})
    script = spoken.spoken_script(report, present.families_for(None), question=matcher.next_question(report.results))
    assert "您问到的" not in script
    ended = [r.record.data["name"] for r in report.results if r.status == matcher.EXPIRED]
    assert ended and not any(name in script for name in ended)
    assert "结束" not in script
    assert "您问到的" not in view({})["script"]


def test_the_ended_policy_asked_about_is_the_only_one_called_asked(kb_url):
    turns = ["我想问一下2022年那个承租国有房屋减免租金还能不能办"]
    v = view(VETERAN, turns=turns)
    assert v["script"].count("您问到的") == 1
    assert "您问到的承租国有房屋减免租金（2022 年）" in v["script"] and "不能再申请" in v["script"]
    assert v["asked"][0] == "rent_relief_2022"
    assert v["cited"][0]["name"] == "承租国有房屋减免租金（2022 年）" and v["cited"][0]["doc_no"] == "发改财金〔2022〕271号"


def test_answer_first_then_one_question_last(kb_url):
    v = view({"entity_type": "个体工商户", "taxpayer_type": "小规模纳税人", "monthly_sales": 5},
             topic="ask_tax_relief")
    script = v["script"]
    assert script.startswith("根据您说的情况，您可以享受")
    assert "依据" in script
    assert script.count("我想再确认一下") <= 1
    if v["next_question"]:
        assert script.endswith(v["next_question"]["question"]) and script.index("您可以享受") < script.index("我想再确认一下")


def test_how_to_apply_puts_the_steps_in_the_script(kb_url):
    v = view(VETERAN, turns=["我是退役军人开饭店的", "创业担保贷款怎么申请，要带什么材料"])
    assert "您问到的创业担保贷款及财政贴息" in v["script"]
    assert "创业担保贷款及财政贴息的办理方法：去" in v["script"] and "第1步" in v["script"]
    assert "要带的材料有" in v["script"]
    assert "办理方法" not in view(VETERAN, turns=["我是退役军人开饭店的"])["script"]


def test_a_topic_orders_the_list_and_keeps_other_fitting_policies(kb_url):
    v = view(VETERAN, topic="ask_guaranteed_loan", turns=["想贷款"])
    shown = [item for g in v["groups"] for item in g["items"]]
    ids = [item["policy_id"] for item in shown]
    assert "startup_guaranteed_loan" in ids and "veterans_startup_tax" in ids  # the veteran's tax cut stays
    possible_or_eligible = [i for g in v["groups"][:2] for i in g["items"]]
    assert possible_or_eligible[0]["on_topic"]  # the loan family leads its group
    assert any(not i["on_topic"] for i in possible_or_eligible)


@pytest.mark.parametrize("query,expected", [
    ("财金2023 75", "startup_guaranteed_loan"),
    ("财金〔2023〕75号", "startup_guaranteed_loan"),
    ("人社部发 2024 40", "unemployment_ins_rate_cut"),
    ("六税两费", "six_taxes_two_fees_half"),
    ("贴息", "startup_guaranteed_loan"),
])
def test_policy_search_by_name_keyword_or_loose_doc_number(kb_url, query, expected):
    results = matcher.match({}).results
    assert expected in [r.policy_id for r in lookup.search(results, query)]


def test_policy_search_ignores_empty_queries(kb_url):
    assert lookup.search(matcher.match({}).results, " 〔〕 ") == []


@pytest.mark.parametrize("said,monthly", [("一个月七八万", 7.5), ("七八万", 7.5), ("三四万", 3.5), ("五万", 5.0)])
def test_range_amounts_go_through_the_bots_normalisation(said, monthly):
    slots = call_form.slots_from_entities([{"entity": "monthly_sales", "value": said}])
    assert normalize.profile_from_slots(slots)["monthly_sales"] == monthly


def test_the_script_never_uses_an_unasked_claim_for_any_single_named_policy(kb_url):
    """Whatever one policy the caller names, that one — and only that one — is "您问到的"."""
    report = matcher.match(VETERAN)
    for r in [r for r in report.results if not r.record.data.get("overlays")]:
        name = r.record.data["name"]
        script = spoken.spoken_script(report, present.families_for(None), asked=[r.policy_id])
        assert script.count("您问到的") == 1, name
        assert re.search("您问到的" + re.escape(name), script), name


def test_a_topic_word_is_not_a_policy_the_caller_asked_about(kb_url):
    assert "您问到的" not in view(VETERAN, topic="ask_guaranteed_loan", turns=["想贷款"])["script"]
    assert "您问到的创业担保贷款" in view(VETERAN, turns=["创业担保贷款能贷多少"])["script"]
