"""呼叫助手: form ↔ profile helpers, the JSON endpoints with the real model, and a whole call in
Chromium (type the caller's words → profile fills → matches → change a field → copy script)."""
from __future__ import annotations

import pytest

from playwright.sync_api import expect

from bot.web import call_form
from policies_kb.profile import ProfileError
from tests.web.conftest import http_login, page_csrf, screenshot, ui_login

CALLER_FIRST = "我在示例市开了个小面馆，个体户，雇了三个人"


def getter(form):
    return lambda name: form.get(name, [])


@pytest.mark.parametrize("form,expected", [
    ({}, {}),
    ({"entity_type": ["个体工商户"], "employees": ["3"], "monthly_sales": ["4.5"]},
     {"entity_type": "个体工商户", "employees": 3, "monthly_sales": 4.5}),
    ({"identities": ["退役军人", "残疾人"]}, {"identities": ["退役军人", "残疾人"]}),
    ({"identities": [call_form.NONE_OF_THESE]}, {"identities": []}),  # "都不是" is known, not unknown
    ({"first_startup": ["false"], "has_ip": [""]}, {"first_startup": False}),
    ({"region.province": ["示例省"], "region.city": [""]}, {"region": {"province": "示例省"}}),
    ({"registered_on": ["2024-03-01"]}, {"registered_on": "2024-03-01"}),
])
def test_profile_from_form(form, expected):
    assert call_form.profile_from_form(getter(form)) == expected


@pytest.mark.parametrize("form,field", [
    ({"employees": ["三个"]}, "employees"),
    ({"employees": ["-1"]}, "employees"),
    ({"entity_type": ["公司"]}, "entity_type"),
    ({"registered_on": ["2024-13-01"]}, "registered_on"),
    ({"has_ip": ["maybe"]}, "has_ip"),
])
def test_profile_from_form_names_the_bad_field(form, field):
    with pytest.raises(ProfileError) as info:
        call_form.profile_from_form(getter(form))
    assert info.value.field == field


def test_entities_become_profile_values():
    from policies_kb import normalize

    entities = [{"entity": "industry", "value": "餐饮"}, {"entity": "identity", "value": "退役军人"},
                {"entity": "identity", "value": "大学生"}, {"entity": "annual_sales", "value": "120万"},
                {"entity": "employees", "value": 3}, {"entity": "page", "value": "2"}]
    slots = call_form.slots_from_entities(entities)
    assert slots == {"industry": "餐饮", "identities": ["退役军人", "大学生"], "monthly_sales": 10.0, "employees": 3}
    profile = normalize.profile_from_slots(slots)
    assert profile["industry"] == "餐饮" and profile["employees"] == 3 and profile["monthly_sales"] == 10.0


def test_what_the_caller_says_last_wins_but_lists_accumulate():
    current = {"employees": 3, "identities": ["退役军人"], "region": {"province": "示例省"}}
    found = {"employees": 5, "identities": ["残疾人", "退役军人"], "region": {"city": "示例市"}}
    assert call_form.merge_profile(current, found) == {
        "employees": 5, "identities": ["退役军人", "残疾人"], "region": {"province": "示例省", "city": "示例市"}}


def test_form_fields_follow_the_schema():
    fields = {f["name"]: f for f in call_form.form_fields()}
    assert fields["industry"]["kind"] == "enum" and "餐饮" in fields["industry"]["options"]
    assert fields["identities"]["kind"] == "multi"
    assert fields["first_startup"]["kind"] == "boolean"
    assert fields["registered_on"]["kind"] == "date"
    assert [p["name"] for p in fields["region"]["parts"]] == ["region.province", "region.city", "region.district"]


# ---- JSON endpoints with the real model ---------------------------------------------------------

@pytest.mark.integration
def test_parse_fills_the_profile_and_matches(console):
    session = http_login(console.url, "staff1", "staff1-pass-9x")
    csrf = page_csrf(session, console.url)
    resp = session.post(console.url + "/console/api/call/parse", headers={"X-CSRF-Token": csrf}, timeout=30,
                        json={"text": CALLER_FIRST, "profile": {"region": {"province": "示例省"}}})
    assert resp.status_code == 200, resp.text
    data = resp.json()
    assert data["turn"]["intent"] == "inform_profile"
    assert data["profile"]["entity_type"] == "个体工商户" and data["profile"]["industry"] == "餐饮"
    assert data["profile"]["employees"] == 3 and data["profile"]["region"] == {"province": "示例省"}
    assert {"entity_type", "industry", "employees"} <= set(data["changed"])
    assert sum(data["counts"].values()) > 0 and 'class="policy"' in data["results_html"]
    assert data["script"] and CALLER_FIRST in data["ticket"] and "staff1" in data["ticket"]

    resp = session.post(console.url + "/console/api/call/parse", headers={"X-CSRF-Token": csrf}, timeout=30,
                        json={"text": "能不能减税", "profile": data["profile"], "turns": [CALLER_FIRST]})
    data = resp.json()
    assert data["topic"] == "ask_tax_relief" and data["topic_label"] == "税费减免"
    assert "能不能减税" in data["ticket"] and "咨询类别：税费减免" in data["ticket"]


@pytest.mark.integration
def test_match_endpoint_reports_bad_fields(console):
    session = http_login(console.url, "staff1", "staff1-pass-9x")
    csrf = page_csrf(session, console.url)
    resp = session.post(console.url + "/console/api/call/match", headers={"X-CSRF-Token": csrf}, timeout=30,
                        json={"profile": {"employees": -2}})
    assert resp.status_code == 400
    assert resp.json() == {"error": "invalid_profile", "field": "employees", "message": "不能小于 0", "title": "雇工人数"}
    resp = session.post(console.url + "/console/api/call/parse", headers={"X-CSRF-Token": csrf}, timeout=30,
                        json={"text": "  ", "profile": {}})
    assert resp.status_code == 400 and resp.json()["error"] == "empty"


@pytest.mark.integration
def test_page_works_without_javascript(console):
    session = http_login(console.url, "staff1", "staff1-pass-9x")
    csrf = page_csrf(session, console.url)
    page = session.post(console.url + "/console/call", timeout=30,
                        data={"csrf_token": csrf, "text": CALLER_FIRST, "turns_json": "[]", "action": "parse"})
    assert page.status_code == 200
    assert '<option value="餐饮" selected>' in page.text and 'value="3"' in page.text
    assert "补充经营情况" in page.text and 'class="policy"' in page.text
    link = session.get(console.url + "/console/call?entity_type=个体工商户&employees=abc", timeout=30)
    assert link.status_code == 400 and "雇工人数" in link.text


# ---- a whole call in the browser -----------------------------------------------------------------

@pytest.mark.integration
@pytest.mark.browser
def test_full_call_in_browser(console, new_page):
    page = new_page(console.url)
    ui_login(page, "staff1", "staff1-pass-9x")
    page.wait_for_url("**/console/call")

    page.fill("#caller-text", CALLER_FIRST)
    page.press("#caller-text", "Enter")
    expect(page.locator("#f-industry")).to_have_value("餐饮")
    assert page.input_value("#f-entity_type") == "个体工商户"
    assert page.input_value("#f-employees") == "3"
    assert page.inner_text("#intent") == "补充经营情况"
    assert CALLER_FIRST in page.inner_text("#turns")
    assert page.locator("[data-field=industry].changed").count() == 1  # the operator sees what was filled

    page.fill("#caller-text", "能不能减税")
    page.press("#caller-text", "Enter")
    expect(page.locator("#turns li")).to_have_count(2)
    assert page.input_value("#topic") == "ask_tax_relief"
    assert page.locator("#results .policy").count() > 0
    before = page.inner_text("#counts")
    eligible_before = int(page.get_attribute("#counts", "data-eligible"))
    assert "您可以享受" in page.inner_text("#script") or "可能也适合您" in page.inner_text("#script")
    screenshot(page, "call_assistant")

    # The operator asks the next question and fills the answer: results update without a reload.
    page.evaluate("window.__same_page = true")
    page.select_option("#f-taxpayer_type", "小规模纳税人")
    page.fill("#f-monthly_sales", "5")
    page.press("#f-monthly_sales", "Tab")
    expect(page.locator("#counts")).not_to_have_text(before)
    assert page.evaluate("window.__same_page") is True
    assert int(page.get_attribute("#counts", "data-eligible")) > eligible_before
    assert page.locator("#results .policy", has_text="月销售额 10 万元以下免征增值税").count() == 1

    page.click("#copy-script")
    expect(page.locator("#script-ok")).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == page.inner_text("#script")

    ticket = page.input_value("#ticket")
    assert "来电诉求：" + CALLER_FIRST in ticket and "纳税人类型：小规模纳税人" in ticket
    with page.expect_download() as info:
        page.click("#download-ticket")
    download = info.value
    assert download.suggested_filename.startswith("工单-") and download.suggested_filename.endswith(".txt")
    with open(download.path(), encoding="utf-8-sig") as fh:
        assert "【政策通 热线工单】" in fh.read()

    # A bad value is named, and the last good results stay.
    page.fill("#f-employees", "-3")
    page.press("#f-employees", "Tab")
    expect(page.locator("#call-error")).to_be_visible()
    assert "雇工人数" in page.inner_text("#call-error")
    page.locator("#results").scroll_into_view_if_needed()
    screenshot(page, "call_assistant_results")
    assert not page.errors
