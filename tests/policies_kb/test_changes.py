"""Field-by-field changes for the reviewer (policies_kb/changes.py): plain words, and only
what really changed — the editor's own re-ordering never shows."""
from __future__ import annotations

import copy

import pytest

from policies_kb import changes, loader

DOCS, _ = loader.read_files(loader.policy_files())
BY_ID = {d.data["id"]: loader.normalize(d.data) for d in DOCS}
LOAN = BY_ID["startup_guaranteed_loan"]


def reordered_like_the_editor(data):
    """What the condition editor and the form send back: leaf keys in its own order, list
    values in vocabulary order, keywords and 不能同时享受 in whatever order the inputs give."""
    def walk(node):
        if isinstance(node, dict) and "field" in node:
            value = node.get("value")
            if isinstance(value, list):
                value = list(reversed(value))
            return {"label": node.get("label"), "value": value, "op": node["op"], "field": node["field"]}
        if isinstance(node, dict):
            return {k: [walk(c) for c in v] if isinstance(v, list) else walk(v) for k, v in node.items()}
        return node
    out = {k: data[k] for k in reversed(list(data))}
    out["conditions"] = walk(copy.deepcopy(data["conditions"]))
    out["keywords"] = list(reversed(data["keywords"]))
    out["exclusive_with"] = list(reversed(data["exclusive_with"]))
    out["benefit"] = {k: data["benefit"][k] for k in reversed(list(data["benefit"]))}
    return out


@pytest.mark.parametrize("policy_id", sorted(BY_ID))
def test_the_editors_reordering_is_not_a_change(policy_id):
    assert changes.field_changes(BY_ID[policy_id], reordered_like_the_editor(BY_ID[policy_id])) == []


def test_a_changed_value_in_plain_words():
    new = copy.deepcopy(LOAN)
    new["benefit"]["amount_max_yuan"] = 500000
    new["status"] = "retired"
    new["effective_to"] = "2027-12-31"
    assert changes.field_changes(LOAN, new) == [
        {"field": "状态", "kind": "value", "before": ["生效"], "after": ["已废止"]},
        {"field": "截止日期", "kind": "value", "before": ["（空）"], "after": ["2027-12-31"]},
        {"field": "最高金额（元）", "kind": "value", "before": ["300000"], "after": ["500000"]},
    ]


def test_a_changed_condition_is_said_with_field_titles():
    new = copy.deepcopy(LOAN)
    leaf = new["conditions"]["any"][1]["all"][1]
    leaf["value"] = 3
    [change] = changes.field_changes(LOAN, new)
    assert change["field"] == "申请条件" and change["kind"] == "list"
    assert change["removed"] == [f"满足任一 › 全部满足 › 雇工人数 大于 0（说明：{leaf['label']}）"]
    assert change["added"] == [f"满足任一 › 全部满足 › 雇工人数 大于 3（说明：{leaf['label']}）"]


def test_list_items_added_removed_and_order_where_it_matters():
    new = copy.deepcopy(LOAN)
    new["apply"]["materials"] = new["apply"]["materials"][1:] + ["营业执照复印件（新）"]
    new["doc_numbers"] = list(reversed(LOAN["doc_numbers"]))  # the first 文号 is the one owners see
    found = {c["field"]: c for c in changes.field_changes(LOAN, new)}
    assert found["文号"]["reordered"] and not found["文号"]["added"]
    assert found["所需材料"]["removed"] == LOAN["apply"]["materials"][:1]
    assert found["所需材料"]["added"] == ["营业执照复印件（新）"]


def test_a_new_policy_lists_its_fields():
    titles = [c["field"] for c in changes.field_changes(None, LOAN)]
    assert titles[:3] == ["政策 ID", "政策名称", "类别"] and "申请条件" in titles and "能得到什么" in titles
    assert changes.field_changes(LOAN, copy.deepcopy(LOAN)) == []


def test_region_and_family_in_words():
    assert changes.words("region", {"scope": "city", "province": "湖北省", "city": "武汉市"}) == ["市级：湖北省武汉市"]
    assert changes.words("family", "tax_relief") == ["税费减免"]
    assert changes.words("continuation_unconfirmed", True) == ["是"]
