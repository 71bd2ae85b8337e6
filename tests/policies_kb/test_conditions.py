"""The condition language: three-valued logic, properties checked with hypothesis."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from policies_kb import conditions
from policies_kb.conditions import FAILED, PASSED, UNKNOWN

FIELDS = {"employees": st.integers(0, 50), "monthly_sales": st.floats(0, 100, allow_nan=False),
          "entity_type": st.sampled_from(["个体工商户", "小微企业", "未登记"]),
          "first_startup": st.booleans(),
          "identities": st.lists(st.sampled_from(["退役军人", "高校毕业生", "残疾人"]), unique=True)}

leaf = st.one_of(
    st.builds(lambda v: {"field": "employees", "op": "lte", "value": v, "label": "x"}, st.integers(0, 50)),
    st.builds(lambda lo, span: {"field": "monthly_sales", "op": "between", "value": [lo, lo + span], "label": "x"},
              st.integers(0, 50), st.integers(0, 50)),
    st.builds(lambda v: {"field": "entity_type", "op": "in", "value": v, "label": "x"},
              st.lists(st.sampled_from(["个体工商户", "小微企业", "未登记"]), min_size=1, unique=True)),
    st.just({"field": "first_startup", "op": "is_true", "label": "x"}),
    st.builds(lambda v: {"field": "identities", "op": "contains_any", "value": v, "label": "x"},
              st.lists(st.sampled_from(["退役军人", "高校毕业生", "残疾人"]), min_size=1, unique=True)),
)
trees = st.recursive(leaf, lambda children: st.one_of(
    st.builds(lambda c: {"all": c}, st.lists(children, max_size=4)),
    st.builds(lambda c: {"any": c}, st.lists(children, min_size=1, max_size=4)),
    st.builds(lambda c: {"not": c}, children)), max_leaves=12)
facts = st.fixed_dictionaries({}, optional=FIELDS)


@given(trees)
def test_generated_trees_validate(tree):
    assert conditions.validate(tree) == []


@settings(max_examples=300)
@given(trees, facts, st.data())
def test_knowing_more_never_flips_a_decided_answer(tree, profile, data):
    """Monotonicity: adding facts turns UNKNOWN into an answer, never PASSED into FAILED."""
    before = conditions.evaluate(tree, profile)
    extra = data.draw(st.fixed_dictionaries({}, optional={k: v for k, v in FIELDS.items() if k not in profile}))
    after = conditions.evaluate(tree, {**profile, **extra})
    if before != UNKNOWN:
        assert after == before


@given(trees, facts)
def test_not_is_an_involution(tree, profile):
    assert conditions.evaluate({"not": {"not": tree}}, profile) == conditions.evaluate(tree, profile)


@given(facts)
def test_empty_all_passes_and_trace_covers_every_leaf(profile):
    assert conditions.evaluate({"all": []}, profile) == PASSED
    tree = {"any": [{"field": "employees", "op": "gt", "value": 3, "label": "x"},
                    {"field": "first_startup", "op": "is_true", "label": "y"}]}
    trace = []
    conditions.evaluate(tree, profile, trace)
    assert [t["field"] for t in trace] == ["employees", "first_startup"]
    assert all(t["result"] in (PASSED, FAILED, UNKNOWN) for t in trace)


def test_validation_names_bad_parts():
    errors = dict(conditions.validate({"all": [
        {"field": "industry", "op": "in", "value": ["餐饮", "网吧"], "label": "行业"},
        {"field": "employees", "op": "contains_any", "value": [1], "label": "人数"},
        {"field": "salary", "op": "gt", "value": 1, "label": "工资"},
        {"field": "employees", "op": "gt", "value": "3", "label": "人数"},
        {"field": "entity_type", "op": "eq", "value": "个体工商户"},
        {"field": "employees", "op": "explode", "value": 1, "label": "?"},
    ]}))
    assert "网吧" in errors["conditions.all[0]"]
    assert "“雇工人数”不是" in errors["conditions.all[1]"]  # the admin's words, not `employees`
    assert "salary" in errors["conditions.all[2]"]
    assert "“雇工人数”大于……的取值应为数字" in errors["conditions.all[3]"]
    assert "缺少说明" in errors["conditions.all[4]"]
    assert "explode" in errors["conditions.all[5]"]


@settings(max_examples=200)
@given(st.lists(trees, min_size=1, max_size=6), facts)
def test_vectorised_matcher_agrees_with_the_interpreter(tree_list, profile):
    """compiled.CompiledTrees gives the same outcome and deciding unknown fields per tree."""
    import numpy as np

    from policies_kb.compiled import OUTCOME, CompiledTrees

    compiled = CompiledTrees(tree_list)
    values = compiled.evaluate(profile)
    outcomes = compiled.outcomes(values)
    policies, fields = compiled.deciding_unknowns(values, np.ones(len(tree_list), dtype=bool))
    missing = {}
    for p, f in zip(policies.tolist(), fields.tolist()):
        missing.setdefault(p, set()).add(compiled.fields[f])
    for i, tree in enumerate(tree_list):
        expected_fields: set = set()
        expected = conditions.unknown_fields(tree, profile, expected_fields)
        assert OUTCOME[int(outcomes[i])] == expected == conditions.evaluate(tree, profile)
        assert set(missing.get(i, [])) == (expected_fields if expected == UNKNOWN else set())


def test_describe_marks_each_condition_against_the_owner():
    tree = {"all": [{"field": "entity_type", "op": "in", "value": ["个体工商户"], "label": "已办执照"},
                    {"any": [{"field": "first_startup", "op": "is_true", "label": "第一次创业"},
                             {"field": "employees", "op": "gte", "value": 3, "label": "雇了 3 人以上"}]}]}
    lines = conditions.describe(tree, {"entity_type": "个体工商户", "employees": 1})
    assert lines[0] == "✅ 已办执照"
    assert lines[1] == "满足以下其中一种即可："
    assert "❔ 第一次创业" in lines[2] and "❌ 雇了 3 人以上" in lines[3]
