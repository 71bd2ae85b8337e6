"""Every admin endpoint over plain HTTP against the real Rasa server: who may call it, what it
refuses, and the policy workflow (draft → review → publish → rollback) reaching the bot at once.

Tests that publish restore the shared knowledge base (admin_helpers.restore_kb)."""
from __future__ import annotations

import re
import uuid

import pytest
import requests

from policies_kb import queries, workflow
from policies_kb.db import session_scope
from policies_kb.models import Policy
from tests.web.admin_helpers import (POLICY, benefit_via_api, edit_form, errors_in, form_dict, kb_version,
                                     published_version, restore_kb)

pytestmark = pytest.mark.integration

P = f"/console/admin/policies/{POLICY}"
GET_ENDPOINTS = [
    "/console/admin", "/console/admin/policies", "/console/admin/new-policy", P, f"{P}/history",
    "/console/admin/review", "/console/admin/audit", "/console/admin/import", "/console/admin/export.zip",
    "/console/admin/analytics", "/console/admin/analytics.csv?table=daily",
]
POST_ENDPOINTS = [
    "/console/admin/new-policy", P, f"{P}/versions/1/submit", f"{P}/versions/1/publish", f"{P}/versions/1/reject",
    f"{P}/rollback", "/console/admin/import",
]
PROFILE = {"entity_type": "个体工商户", "identities": ["退役军人"], "industry": "餐饮"}


# ---- authorization -----------------------------------------------------------------------

@pytest.mark.parametrize("path", GET_ENDPOINTS)
def test_anonymous_get_is_sent_to_login(console, path):
    reply = requests.get(console.url + path, allow_redirects=False, timeout=30)
    assert reply.status_code == 302
    assert reply.headers["location"].startswith("/console/login?next=")


@pytest.mark.parametrize("path", POST_ENDPOINTS)
def test_anonymous_post_is_sent_to_login(console, session_kb_url, path):
    before = kb_version(session_kb_url)
    reply = requests.post(console.url + path, data={"why": "x"}, allow_redirects=False, timeout=30)
    assert reply.status_code == 302 and reply.headers["location"].startswith("/console/login")
    assert kb_version(session_kb_url) == before


@pytest.mark.parametrize("method,path", [("GET", p) for p in GET_ENDPOINTS] + [("POST", p) for p in POST_ENDPOINTS])
def test_staff_gets_403(staff, session_kb_url, method, path):
    before = kb_version(session_kb_url)
    reply = staff.get(path) if method == "GET" else staff.post(path, {"why": "坐席试图修改"})
    assert reply.status_code == 403
    assert "只对管理员开放" in reply.text
    assert kb_version(session_kb_url) == before


@pytest.mark.parametrize("path", POST_ENDPOINTS)
def test_admin_post_without_csrf_token_is_refused(author, session_kb_url, path):
    before = kb_version(session_kb_url)
    reply = author.post(path, {"why": "没有令牌"}, csrf=False)
    assert reply.status_code == 403 and "页面已过期" in reply.text
    assert kb_version(session_kb_url) == before


@pytest.mark.parametrize("path", [p for p in GET_ENDPOINTS if p != "/console/admin"])
def test_admin_pages_open(author, path):
    reply = author.get(path)
    assert reply.status_code == 200
    if "text/html" in reply.headers["content-type"]:
        assert "Content-Security-Policy" in reply.headers and "管理员" in reply.text


def test_admin_home_goes_to_the_list(author):
    assert author.get("/console/admin").headers["location"] == "/console/admin/policies"


def test_unknown_policy_is_404(author):
    assert author.get("/console/admin/policies/no_such_policy").status_code == 404
    assert author.get("/console/admin/policies/no_such_policy/history").status_code == 404


# ---- list --------------------------------------------------------------------------------

@pytest.mark.parametrize("query,present,absent", [
    ("q=担保", "startup_guaranteed_loan", "vat_small_scale_1pct"),
    ("family=tax_relief", "vat_small_scale_1pct", "startup_guaranteed_loan"),
    ("region=示例区", "shiliqu_startup_subsidy", "vat_small_scale_1pct"),
    ("unconfirmed=1", "one_time_job_expansion_subsidy", "startup_guaranteed_loan"),
    ("status=retired", "", "startup_guaranteed_loan"),
])
def test_policy_list_filters(author, query, present, absent):
    html = author.get(f"/console/admin/policies?{query}").text
    if present:
        assert f">{present}<" in html
    assert f">{absent}<" not in html


def test_policy_list_expiring_within_days(author, session_kb_url):
    import datetime as dt

    with session_scope(session_kb_url) as session:
        ends = {row.id: row.effective_to for row in session.query(Policy)}
    today = dt.date.today()
    html = author.get("/console/admin/policies?expiring=3650").text
    for pid, end in ends.items():
        assert (f">{pid}<" in html) == bool(end and 0 <= (end - today).days <= 3650), pid


# ---- editor, review, publish, rollback ---------------------------------------------------

def test_validation_errors_are_shown_and_nothing_is_saved(author, session_kb_url):
    fields = edit_form(author.get(P).text)
    before = kb_version(session_kb_url)
    with session_scope(session_kb_url) as session:
        versions = len(queries.versions(session=session, policy_id=POLICY))
    reply = author.post(P, form_dict(fields, effective_to="2020-01-01", name="", do="save", why="测试"))
    assert reply.status_code == 400
    errors = errors_in(reply.text)
    assert "缺少必填项：政策名称" in errors and any("早于开始日期" in e for e in errors)
    with session_scope(session_kb_url) as session:
        assert len(queries.versions(session=session, policy_id=POLICY)) == versions
    assert kb_version(session_kb_url) == before


def test_yaml_mode_errors_show_the_line(author):
    text = author.get(P).text
    yaml_text = re.search(r'<textarea name="yaml_text"[^>]*>(.*?)</textarea>', text, re.S).group(1)
    import html

    broken = html.unescape(yaml_text).replace("family: guaranteed_loan", "family: loans")
    line = broken.splitlines().index("family: loans") + 1
    reply = author.post(P, {"yaml_text": broken, "do": "yaml_save"})
    assert reply.status_code == 400 and f"第 {line} 行：未知类别 &#39;loans&#39;" in reply.text


def test_try_runs_the_draft_and_the_regression_cases(author):
    fields = edit_form(author.get(P).text)
    reply = author.post(P, form_dict(fields, do="try", benefit_text="试一试用的新说法",
                                     p_entity_type="个体工商户", p_identities="退役军人", p_as_of="2026-06-01"))
    assert reply.status_code == 200
    assert 'id="try-result"' in reply.text and "结果均未变化" in reply.text
    assert "回归用例（5 个）" in reply.text
    # A stricter condition changes outcomes, and the page says how many.
    conditions = '{"all": [{"field": "entity_type", "op": "eq", "value": "小微企业", "label": "只给小微企业"}]}'
    reply = author.post(P, form_dict(fields, do="try", conditions_json=conditions, p_entity_type="个体工商户"))
    assert re.search(r"\d+ 个结果变化", reply.text)


def test_review_publish_rollback_reaches_the_bot_at_once(console, author, reviewer, session_kb_url):
    marker = f"【测试标记{uuid.uuid4().hex[:6]}】"
    old_text = benefit_via_api(console)
    with restore_kb(session_kb_url) as live_before:
        fields = edit_form(author.get(P).text)
        saved = author.post(P, form_dict(fields, benefit_text=old_text + marker, do="submit",
                                         why="2026 年新文件：补充说明"))
        assert saved.status_code == 303
        version = int(re.search(r"v=(\d+)", saved.headers["location"]).group(1))
        assert benefit_via_api(console) == old_text  # submitted, not yet live

        own = author.post(f"{P}/versions/{version}/publish", {"why": "自己发布"})
        assert own.status_code == 409 and "不能审核发布自己提交的修改" in own.text
        no_why = reviewer.post(f"{P}/versions/{version}/publish", {"why": "  "})
        assert no_why.status_code == 400 and "请填写发布原因" in no_why.text

        published = reviewer.post(f"{P}/versions/{version}/publish", {"why": "已核对原文"})
        assert published.status_code == 303 and "done=published" in published.headers["location"]
        assert benefit_via_api(console) == old_text + marker  # no restart, no retraining
        assert published_version(session_kb_url) == version

        history = reviewer.get(f"{P}/history?done=published&v={version}").text
        assert f"第 {version} 版已发布" in history
        changed = re.search(r'<tr class="change">\s*<th scope="row">能得到什么</th>(.*?)</tr>', history, re.S)
        assert changed and marker in changed.group(1)  # the field change in words, not a YAML diff

        assert reviewer.post(f"{P}/rollback", {"why": ""}).status_code == 400
        rolled = reviewer.post(f"{P}/rollback", {"why": "测试完毕，恢复原文"})
        assert rolled.status_code == 303
        assert benefit_via_api(console) == old_text
        assert published_version(session_kb_url) == live_before

    with session_scope(session_kb_url) as session:
        log = [(e.actor, e.action, e.why) for e in queries.audit_log(session=session, policy_id=POLICY, limit=5)]
    assert ("kb_reviewer", "rollback", "测试完毕，恢复原文") in log
    assert ("kb_reviewer", "publish", "已核对原文") in log
    assert ("kb_author", "submit", "2026 年新文件：补充说明") in log
    audit = reviewer.get(f"/console/admin/audit?policy={POLICY}").text
    assert "测试完毕，恢复原文" in audit and "kb_reviewer" in audit


def publish_edit(author, reviewer, summary):
    """An edit through the pages: the author submits, a second admin publishes."""
    fields = edit_form(author.get(P).text)
    saved = author.post(P, form_dict(fields, summary=summary, do="submit", why=summary))
    version = int(re.search(r"v=(\d+)", saved.headers["location"]).group(1))
    assert reviewer.post(f"{P}/versions/{version}/publish", {"why": "测试"}).status_code == 303
    return version


def test_one_click_rollback_restores_what_was_live_before(author, reviewer, session_kb_url):
    """publish A → roll back → publish B → roll back: the original is live again, not A."""
    with restore_kb(session_kb_url) as original:
        publish_edit(author, reviewer, "第一次修改")
        assert reviewer.post(f"{P}/rollback", {"why": "撤回第一次"}).status_code == 303
        assert published_version(session_kb_url) == original
        publish_edit(author, reviewer, "第二次修改")
        assert f"回滚到第 {original} 版" in reviewer.get(f"{P}/history").text
        assert reviewer.post(f"{P}/rollback", {"why": "撤回第二次"}).status_code == 303
        assert published_version(session_kb_url) == original


def test_rollback_rule_is_the_clis(author, reviewer, session_kb_url):
    """publish v2, v3 → rollback → publish v4 → rollback: v2, the same version `kb rollback`
    restores (tests/policies_kb/test_kb_cli.py); the rollback is shown to the other admin."""
    with restore_kb(session_kb_url):
        v2 = publish_edit(author, reviewer, "第二版")
        publish_edit(author, reviewer, "第三版（有错）")
        assert reviewer.post(f"{P}/rollback", {"why": "第三版有错"}).status_code == 303
        assert published_version(session_kb_url) == v2
        publish_edit(author, reviewer, "第四版")
        with session_scope(session_kb_url) as session:
            assert workflow.rollback_target(session=session, policy_id=POLICY) == v2
        assert f"回滚到第 {v2} 版" in reviewer.get(f"{P}/history").text
        assert reviewer.post(f"{P}/rollback", {"why": "第四版也撤"}).status_code == 303
        assert published_version(session_kb_url) == v2
        listing = author.get("/console/admin/policies").text
        notice = listing[listing.index('id="recent-rollbacks"'):]
        assert "kb_reviewer" in notice and "第四版也撤" in notice and f"回滚到第 {v2} 版" in notice


def test_reject_needs_a_reason(author, reviewer, session_kb_url):
    fields = edit_form(author.get(P).text)
    saved = author.post(P, form_dict(fields, summary="待退回的草稿", do="save", why="草稿"))
    version = int(re.search(r"v=(\d+)", saved.headers["location"]).group(1))
    assert author.post(f"{P}/versions/{version}/reject", {"why": "还没提交"}).status_code == 409
    assert author.post(f"{P}/versions/{version}/submit", {}).status_code == 303
    review = reviewer.get("/console/admin/review").text
    assert f"review-{POLICY}-{version}" in review and "待退回的草稿" in review
    assert reviewer.post(f"{P}/versions/{version}/reject", {"why": ""}).status_code == 400
    rejected = reviewer.post(f"{P}/versions/{version}/reject", {"why": "摘要写得不清楚", "back": "review"})
    assert rejected.status_code == 303 and rejected.headers["location"].startswith("/console/admin/review")
    with session_scope(session_kb_url) as session:
        assert workflow.get_version(session=session, policy_id=POLICY, version=version).state == "rejected"


def test_new_policy_is_a_draft_until_reviewed(author, reviewer, session_kb_url):
    fields = edit_form(author.get(P).text)
    taken = author.post("/console/admin/new-policy", form_dict(fields, do="save"))
    assert taken.status_code == 400 and "已存在" in taken.text
    new_id = f"test_new_{uuid.uuid4().hex[:6]}"
    made = author.post("/console/admin/new-policy", form_dict(fields, id=new_id, name=f"测试新政策{new_id}",
                                                               do="submit", why="新文件"))
    assert made.status_code == 303, errors_in(made.text)
    with session_scope(session_kb_url) as session:
        assert session.get(Policy, new_id) is None  # not live until a second admin publishes
    listing = author.get("/console/admin/policies").text
    assert "尚未发布的新政策" in listing and new_id in listing
    assert reviewer.post(f"/console/admin/policies/{new_id}/versions/1/reject", {"why": "测试用，不发布"}).status_code == 303
