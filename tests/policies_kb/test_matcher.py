"""Matcher behaviour on the real knowledge base: the traps from the research brief."""
from __future__ import annotations

import datetime as dt

import pytest

from policies_kb.matcher import ELIGIBLE, EXPIRED, INELIGIBLE, POSSIBLE, match
from policies_kb.profile import ProfileError

JUNE_2026 = dt.date(2026, 6, 1)


def status(report, policy_id):
    return report.get(policy_id).status


def test_individual_business_never_gets_small_low_profit_cit(kb_url):
    report = match({"entity_type": "个体工商户", "employees": 3, "annual_taxable_income": 50, "total_assets": 100}, JUNE_2026)
    assert status(report, "cit_small_low_profit") == INELIGIBLE
    assert status(report, "iit_individual_business_half") == ELIGIBLE
    assert status(report, "six_taxes_two_fees_half") == ELIGIBLE


def test_general_taxpayer_individual_business_still_gets_six_taxes_two_fees(kb_url):
    report = match({"entity_type": "个体工商户", "taxpayer_type": "一般纳税人"}, JUNE_2026)
    assert status(report, "six_taxes_two_fees_half") == ELIGIBLE
    assert status(report, "vat_small_scale_threshold") == INELIGIBLE


def test_veteran_loan_limit_is_300k_not_200k(kb_url):
    result = match({"entity_type": "个体工商户", "identities": ["退役军人"]}, JUNE_2026).get("startup_guaranteed_loan")
    assert result.status == ELIGIBLE
    text = result.to_dict()["benefit"]
    assert "30 万" in text or "30万" in text
    assert "20 万" not in text.split("此前")[0]


def test_key_group_tax_deduction_is_20000_not_14400(kb_url):
    report = match({"entity_type": "个体工商户", "identities": ["退役军人"], "registered_on": "2025-03-01"}, JUNE_2026)
    result = report.get("veterans_startup_tax")
    assert result.status == ELIGIBLE
    assert "20000" in result.to_dict()["benefit"].replace(",", "").replace(" ", "")


def test_2022_deferral_is_expired_and_points_to_what_replaced_it(kb_url):
    report = match({"entity_type": "个体工商户", "industry": "餐饮", "insured_as": "单位"}, JUNE_2026)
    result = report.get("ssf_deferral_2022_5_industries")
    assert result.status == EXPIRED
    assert any("到期" in r or "结束" in r for r in result.reasons())
    inside = match({"entity_type": "个体工商户", "industry": "餐饮", "insured_as": "单位"}, dt.date(2022, 6, 1))
    assert inside.get("ssf_deferral_2022_5_industries").status in (ELIGIBLE, POSSIBLE)


def test_unconfirmed_continuation_never_looks_certain(kb_url):
    report = match({"entity_type": "小微企业", "insured_as": "单位", "employees": 10}, dt.date(2025, 6, 1))
    result = report.get("unemployment_ins_rate_cut").to_dict()
    assert result["continuation_unconfirmed"] is True
    assert result["certain"] is False
    assert any("待核实" in c for c in result["caveats"])


def test_possible_lists_missing_and_next_question_decides_most(kb_url):
    report = match({}, JUNE_2026)
    possible = report.by_status(POSSIBLE)
    assert possible and all(r.missing for r in possible)
    question = report.next_question
    counts = {}
    for r in possible:
        for f in r.missing:
            counts[f] = counts.get(f, 0) + 1
    assert question["decides"] == max(counts.values())
    assert question["field"] in counts and question["question"]


def test_results_are_ranked_by_status(kb_url):
    report = match({"entity_type": "个体工商户", "industry": "餐饮"}, JUNE_2026)
    order = {ELIGIBLE: 0, POSSIBLE: 1, INELIGIBLE: 2, EXPIRED: 3}
    ranks = [order[r.status] for r in report.results]
    assert ranks == sorted(ranks)


def test_trace_explains_each_condition(kb_url):
    result = match({"entity_type": "个体工商户", "identities": ["退役军人"]}, JUNE_2026).get("startup_guaranteed_loan")
    trace = result.trace()
    assert trace and all(t["result"] in ("passed", "failed", "unknown") and t["explain"] for t in trace)


def test_district_overlay_attaches_to_base_policy(kb_url):
    profile = {"entity_type": "个体工商户", "identities": ["高校毕业生"], "first_startup": True,
               "registered_on": "2024-01-01", "region": {"province": "示例省", "city": "示例市", "district": "示例区"}}
    report = match(profile, JUNE_2026)
    base = report.get("startup_one_time_subsidy")
    assert base.status == ELIGIBLE
    assert [o["policy_id"] for o in base.overlays] == ["shiliqu_startup_subsidy"]
    elsewhere = match({**profile, "region": {"province": "浙江省", "city": "杭州市"}}, JUNE_2026)
    assert elsewhere.get("shiliqu_startup_subsidy").status == INELIGIBLE
    assert elsewhere.get("startup_one_time_subsidy").overlays == []


@pytest.mark.parametrize("profile,field", [
    ({"entity_type": "公司"}, "entity_type"),
    ({"employees": "三"}, "employees"),
    ({"employees": -1}, "employees"),
    ({"identities": ["外星人"]}, "identities"),
    ({"identities": "退役军人"}, "identities"),
    ({"favourite_colour": "红"}, "favourite_colour"),
    ({"region": {"planet": "地球"}}, "region.planet"),
    ({"registered_on": "2024/13/01"}, "registered_on"),
    ({"first_startup": "是"}, "first_startup"),
    ({"monthly_sales": True}, "monthly_sales"),
])
def test_bad_profile_names_the_field(kb_url, profile, field):
    with pytest.raises(ProfileError) as info:
        match(profile, JUNE_2026)
    assert info.value.field == field


def test_district_standard_is_shown_only_to_owners_known_to_be_there(kb_url):
    from policies_kb.present import one_line

    profile = {"entity_type": "个体工商户", "identities": ["高校毕业生"], "first_startup": True,
               "registered_on": "2024-01-01"}
    there = {**profile, "region": {"province": "示例省", "city": "示例市", "district": "示例区"}}
    assert "本地加码" in one_line(match(there, JUNE_2026).get("startup_one_time_subsidy"))
    # Region unknown: the overlay is only "possible" — never presented as the owner's own standard.
    assert "本地加码" not in one_line(match(profile, JUNE_2026).get("startup_one_time_subsidy"))
