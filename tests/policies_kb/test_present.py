"""The owner-facing wording (policies_kb/present.py) on the repository's policies: one line per
policy by status, WeChat-sized messages, 工单 summaries, amounts from the policy's formula."""
from __future__ import annotations

import copy
import datetime as dt

import pytest

from policies_kb import loader, present, spoken
from policies_kb.compiled import PolicyRecord
from policies_kb.matcher import evaluate_policies

DOCS, _ = loader.read_files(loader.policy_files())
DATA = {d.data["id"]: loader.normalize(d.data) for d in DOCS}
RECORDS = [PolicyRecord.from_data(d) for d in DATA.values() if d["status"] == "published"]
AS_OF = dt.date(2026, 6, 1)
VETERAN = {"entity_type": "个体工商户", "identities": ["退役军人"]}


def report(profile, records=RECORDS, as_of=AS_OF):
    return evaluate_policies(profile, records, as_of, kb_version="v1")


@pytest.mark.parametrize("key,families", [
    ("ask_tax_relief", ["tax_relief"]),
    ("guaranteed_loan", ["guaranteed_loan"]),
    (None, present.ADVICE_FAMILIES),
    ("no_such_family", present.ADVICE_FAMILIES),
])
def test_families_for(key, families):
    assert present.families_for(key) == families
    assert "business_registration" not in present.ADVICE_FAMILIES


def test_eligible_line_names_benefit_document_and_validity():
    result = report(VETERAN).get("startup_guaranteed_loan")
    line = present.one_line(result)
    assert line.startswith("• 创业担保贷款及财政贴息：个人最高 30 万元")
    assert "（财金〔2023〕75号，长期有效）" in line and "〔待核实〕部分细节以当地为准" in line


def test_possible_line_says_what_is_missing_and_ineligible_says_why():
    possible = report({"identities": ["高校毕业生"]}).get("startup_guaranteed_loan")
    assert possible.status == "possible" and "还需确认：主体类型" in present.one_line(possible)
    ineligible = report({"entity_type": "个体工商户", "identities": []}).get("startup_guaranteed_loan")
    assert present.one_line(ineligible) == ("• 创业担保贷款及财政贴息——您说不属于所列身份，这项要求："
                                            + DATA["startup_guaranteed_loan"]["conditions"]["any"][0]["all"][0]["label"])


def test_estimate_uses_the_policy_formula_and_never_a_local_standard():
    small = {"entity_type": "个体工商户", "taxpayer_type": "小规模纳税人", "monthly_sales": 20}
    result = report(small).get("vat_small_scale_1pct")
    assert result.status == "eligible"
    assert present.estimate(result).startswith("按月销售额 20 万元估算，一年约少交增值税 48,000 元")
    local = copy.deepcopy(DATA["vat_small_scale_1pct"])
    local["benefit"]["local_standard"] = True
    assert present.estimate(report(small, [PolicyRecord.from_data(local)]).get(local["id"])) == "具体金额由当地定，以当地为准。"
    unknown = report({"entity_type": "个体工商户", "taxpayer_type": "小规模纳税人"}).get("vat_small_scale_1pct")
    assert present.estimate(unknown) == (DATA["vat_small_scale_1pct"]["benefit"]["estimate"].get("ask") or "")


@pytest.mark.parametrize("expr", ["__import__('os').system('x')", "monthly_sales.real", "open('f')", "[1][0]"])
def test_estimate_formulas_are_arithmetic_only(expr):
    with pytest.raises(ValueError):
        present._evaluate(expr, {"monthly_sales": 1.0}, [])


def test_bracket_is_progressive():
    table = [[30000, 0.05, 0], [90000, 0.1, 1500], [None, 0.2, 10500]]
    assert [present._bracket(x, table) for x in (20000, 50000, 100000)] == [1000, 3500, 9500]


def test_chunks_stay_within_a_wechat_message():
    lines = ["一" * 250, "二" * 250, "三" * 250, "四" * 700]
    messages = present.chunks(lines, limit=600)
    assert all(len(m) <= 600 for m in messages) and messages[0] == "一" * 250 + "\n" + "二" * 250
    assert present.chunks([]) == []


def test_answer_pages_with_more_and_names_the_hotline():
    families = present.families_for(None)
    first = present.answer_messages(report(VETERAN), families)
    text = "\n".join(first)
    assert "✅ 您符合：" in text and "回复“更多”查看" in text and "☎ 电话咨询：" in text
    assert "（依据知识库 v1，匹配日期 2026-06-01" in text
    assert all(len(m) <= present.MAX_CHARS for m in first)
    assert present.answer_messages(report(VETERAN), families, page=99)[0].startswith("没有更多了。")


def test_named_policies_lead_and_mentioned_prefers_the_longest_name():
    results = present.select(report(VETERAN), ["guaranteed_loan", "tax_relief"])
    named = present.mentioned(results, "我想问问 创业担保贷款 的事")
    assert named and named[0].policy_id == "startup_guaranteed_loan"
    assert present.mentioned(results, "你好") == []


def test_hotline_names_each_number_once():
    assert present.hotline(["social_insurance", "employment"]) == "☎ 电话咨询：12333 人社服务热线"
    assert present.hotline([]) == "☎ 电话咨询：12345 政务服务便民热线"


def test_profile_summary_and_application_steps():
    summary = present.profile_summary({"entity_type": "个体工商户", "identities": [], "first_startup": True,
                                       "region": {"province": "湖北省", "city": "武汉市"}})
    assert summary.startswith("主体类型：个体工商户；身份：无；") and summary.endswith("：湖北省武汉市")
    assert present.profile_summary({}) == "（暂无）"
    result = report(VETERAN).get("startup_guaranteed_loan")
    steps = "\n".join(present.application_messages(result, "v1"))
    assert steps.startswith("「创业担保贷款及财政贴息」怎么办：") and "（知识库 v1）" in steps


def test_spoken_script_reads_out_eligible_policies():
    script = spoken.spoken_script(report(VETERAN), ["guaranteed_loan"])
    assert script.startswith("根据您说的情况，您可以享受这几项：创业担保贷款及财政贴息")
    assert spoken.spoken_script(report({"entity_type": "个体工商户", "identities": []}), ["guaranteed_loan"]).startswith(
        "根据您目前说的情况，暂时没有找到合适的政策")
