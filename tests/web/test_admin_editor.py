"""The policy editor's logic (bot/web/admin_editor.py): form ⇄ document, errors placed on
their fields in the admin's words, YAML with line numbers (and the file's comments), the
"试一试" profile. No server needed. The 试一试 run itself: tests/policies_kb/test_regression.py."""
from __future__ import annotations

import copy

import pytest

from bot.web import admin_editor as editor
from policies_kb import conditions, loader
from policies_kb.profile import ProfileError

DOCS, _ = loader.read_files(loader.policy_files())
BY_ID = {d.data["id"]: loader.normalize(d.data) for d in DOCS}
IDS = set(BY_ID)


def browser_form(data):
    """What a browser submits for the editor filled with `data` (unchecked boxes are absent)."""
    form = {}
    for key, value in editor.form_values(data).items():
        if value is True:
            form[key] = ["1"]
        elif value is False:
            continue
        else:
            form[key] = value if isinstance(value, list) else [str(value)]
    return form


@pytest.mark.parametrize("policy_id", sorted(BY_ID))
def test_form_round_trip_changes_nothing(policy_id):
    data = BY_ID[policy_id]
    draft = editor.draft_from_form(browser_form(data), base=data)
    editor.validate(draft, known_ids=IDS, policy_id=policy_id)
    assert draft.ok, draft.messages()
    assert loader.normalize(draft.data) == data
    assert editor.to_yaml(loader.normalize(draft.data)) == editor.to_yaml(data)  # no spurious diff


def test_errors_are_placed_on_their_fields():
    data = copy.deepcopy(BY_ID["startup_guaranteed_loan"])
    form = browser_form(data)
    form.update(name=[""], effective_to=["2020-01-01"], region_scope=["city"], benefit_amount_max_yuan=["三十万"])
    draft = editor.validate(editor.draft_from_form(form, base=data), known_ids=IDS, policy_id=data["id"])
    assert not draft.ok
    assert draft.errors["name"] == ["缺少必填项：政策名称"]
    assert "早于开始日期" in draft.errors["effective_to"][0]
    assert draft.errors["region"][0] == "地区范围为市级时需要填写省份"
    assert "不是数字" in draft.errors["benefit"][0]


def test_condition_errors_keep_the_row_path():
    data = copy.deepcopy(BY_ID["vat_small_scale_1pct"])
    data["conditions"] = {"all": [{"field": "entity_type", "op": "eq", "value": "个体工商户", "label": "是个体户"},
                                  {"any": [{"field": "employees", "op": "gt", "value": None, "label": "有员工"},
                                           {"field": "industry", "op": "eq", "value": "修鞋", "label": ""}]}]}
    draft = editor.validate(editor.draft_from_form(browser_form(data), base=data), known_ids=IDS,
                            policy_id=data["id"])
    errors = editor.condition_errors(draft)
    assert set(errors) == {"conditions.all[1].any[0]", "conditions.all[1].any[1]"}
    # The admin's words: field titles from profile_schema.json and the operators in Chinese.
    assert errors["conditions.all[1].any[0]"] == ["“雇工人数”大于……的取值应为数字"]
    assert "缺少说明：写一句给经营者看的条件说明（如“经营地在湖北省”）" in errors["conditions.all[1].any[1]"]
    assert any(m.startswith("“行业”的取值 修鞋 不在画像词表内") for m in errors["conditions.all[1].any[1]"])
    for message in sum(errors.values(), []):
        assert not any(word in message for word in ("label", "gte", "value", "employees", "industry")), message


def test_policy_id_cannot_change_and_new_ids_must_be_free():
    data = BY_ID["vat_small_scale_1pct"]
    form = browser_form(data)
    form["id"] = ["vat_renamed"]
    draft = editor.validate(editor.draft_from_form(form, base=data), known_ids=IDS, policy_id=data["id"])
    assert "不能在这里修改政策 ID" in draft.errors["id"][0]
    draft = editor.validate(editor.draft_from_form(browser_form(data)), known_ids=IDS, new=True, existing_ids=IDS)
    assert "已存在" in draft.errors["id"][0]


def test_references_must_exist():
    data = BY_ID["vat_small_scale_1pct"]
    form = browser_form(data)
    form.update(replaced_by=["no_such_policy"], exclusive_with=["cit_small_low_profit", "ghost"])
    draft = editor.validate(editor.draft_from_form(form, base=data), known_ids=IDS, policy_id=data["id"])
    assert "no_such_policy" in draft.errors["replaced_by"][0]
    assert "ghost" in draft.errors["exclusive_with"][0]


def test_yaml_errors_carry_line_numbers():
    text = editor.to_yaml(BY_ID["vat_small_scale_1pct"])
    broken = text.replace("family: tax_relief", "family: taxes")
    draft = editor.validate(editor.draft_from_yaml(broken), known_ids=IDS, policy_id="vat_small_scale_1pct")
    line = broken.splitlines().index("family: taxes") + 1
    families = "、".join(f"{key}（{name}）" for key, name in loader.FAMILIES.items())
    assert draft.errors[""] == [f"第 {line} 行：未知类别 'taxes'；可用：{families}"]
    syntax = editor.draft_from_yaml("id: x\nname: [unclosed\n")
    assert syntax.errors[""][0].startswith("第 ") and "YAML 格式错误" in syntax.errors[""][0]


def test_yaml_round_trip_is_valid():
    data = BY_ID["return_home_startup"]
    draft = editor.validate(editor.draft_from_yaml(editor.to_yaml(data)), known_ids=IDS, policy_id=data["id"])
    assert draft.ok and loader.normalize(draft.data) == data


def test_profile_from_form():
    form = {"p_entity_type": ["个体工商户"], "p_identities": ["退役军人", "残疾人"], "p_employees": ["3"],
            "p_monthly_sales": ["8.5"], "p_first_startup": ["false"], "p_has_ip": [""],
            "p_region_province": ["湖北省"], "p_region_city": [""]}
    assert editor.profile_from_form(form) == {
        "entity_type": "个体工商户", "identities": ["退役军人", "残疾人"], "employees": 3, "monthly_sales": 8.5,
        "first_startup": False, "region": {"province": "湖北省"}}
    assert editor.profile_from_form({"p_identities_none": ["1"]}) == {"identities": []}
    with pytest.raises(ProfileError):
        editor.profile_from_form({"p_employees": ["三个"]})


def test_yaml_tab_shows_the_files_comments():
    text = editor.to_yaml(BY_ID["startup_guaranteed_loan"])
    assert text.startswith("# 创业担保贷款：个人借款和小微企业借款两条路径")
    assert "effective_to: null            # 常设政策，无截止日期" in text


def test_editor_schema_offers_the_profile_vocabulary():
    schema = conditions.editor_schema()
    assert schema["fields"]["entity_type"]["vocab"] == ["个体工商户", "小微企业", "未登记"]
    assert schema["fields"]["identities"]["type"] == "array" and "退役军人" in schema["fields"]["identities"]["vocab"]
    assert "months_in_business" in schema["fields"]
    assert schema["ops"]["gte"] == "至少"
