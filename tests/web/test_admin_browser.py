"""The admin console in headless Chromium against the real Rasa server: an edit goes through
validation, "试一试", review by a second admin and publishing, the bot answers with it at once,
and one click rolls it back; a broken import changes nothing; analytics charts real chats.

Screenshots go to tests/screenshots/admin-*.png."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from policies_kb import loader, workflow
from policies_kb.db import session_scope
from tests.web.admin_helpers import (ADMINS, POLICY, converse_until_listed, create_accounts, published_version,
                                     restore_kb, say, understood_as)
from tests.web.conftest import screenshot, ui_login

pytestmark = [pytest.mark.integration, pytest.mark.browser]

CHART_JS = Path(__file__).resolve().parents[2] / "bot" / "web" / "static" / "vendor" / "chart.umd.js"
OWNER_QUESTION = "我是退伍军人，开了个面馆，个体户，创业担保贷款能贷多少"
PROFILE = {"entity_type": "个体工商户", "identities": ["退役军人"], "industry": "餐饮"}


@pytest.fixture(scope="module")
def accounts(session_kb_url):
    return create_accounts(session_kb_url)


def admin_page(new_page, console, name):
    page = new_page(console.url)
    ui_login(page, name, ADMINS[name])
    page.wait_for_url(re.compile(r"/console/"))
    return page


def bot_reply(server, text):
    sender = f"admin-e2e-{uuid.uuid4().hex[:8]}"
    reply = requests.post(f"{server.url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
    reply.raise_for_status()
    return "\n".join(m.get("text") or "" for m in reply.json())


def api_benefit(server):
    reply = requests.post(f"{server.url}/api/match", json={"profile": PROFILE}, timeout=30)
    return next(r for r in reply.json()["results"] if r["policy_id"] == POLICY)["benefit"]


def test_edit_validate_try_review_publish_rollback(console, accounts, new_page, session_kb_url):
    marker = f"（测试标记{uuid.uuid4().hex[:6]}）"
    original = api_benefit(console)
    assert marker not in bot_reply(console, OWNER_QUESTION)
    with restore_kb(session_kb_url) as live_before:
        author = admin_page(new_page, console, "kb_author")
        author.goto(f"/console/admin/policies/{POLICY}")
        expect(author.locator("h1")).to_contain_text("创业担保贷款")
        # The condition tree is a structured editor, filled from the policy.
        expect(author.locator(".cond-leaf")).to_have_count(4)
        expect(author.locator(".cond-leaf .cond-field").first).to_have_value("identities")

        # 1. A mistake: the end date before the start date is refused next to the field.
        author.fill("#f-effective_to", "2020-01-01")
        author.fill("#f-benefit_text", original + marker)
        author.click("#btn-save")
        error = author.locator("#f-effective_to ~ .field-error")
        expect(error).to_contain_text("早于开始日期")
        expect(author.locator("#general-errors")).to_be_visible()
        screenshot(author, "admin-1-validation-error")
        assert published_version(session_kb_url) == live_before

        # 2. Fix it, reword a condition in the tree editor, and try it on a regression case.
        author.fill("#f-effective_to", "")
        label = author.locator(".cond-leaf .cond-label").first
        label.fill(label.input_value() + "（测试改写）")
        author.select_option("#case-loader", index=1)
        expect(author.locator("select[name=p_entity_type]")).to_have_value("个体工商户")
        author.click("#btn-try-side")
        result = author.locator("#try-result")
        expect(result).to_contain_text("这个画像的结果")
        expect(result.locator("td.st-eligible")).to_contain_text("符合")
        expect(result).to_contain_text("结果均未变化")
        expect(result).to_contain_text("（测试改写）")  # the reasons quote the edited label
        screenshot(author, "admin-2-try-it")

        # 3. Submit for review (with the why); the bot still answers with the live version.
        author.fill("#f-why", "新文件补充：测试")
        author.click("#btn-submit")
        expect(author.locator(".notice")).to_contain_text("已提交审核")
        expect(author.locator("tr.state-in_review")).to_contain_text("等待另一位管理员审核发布")
        screenshot(author, "admin-3-submitted")
        assert marker not in api_benefit(console)

        # 4. A second admin reviews the diff and publishes.
        reviewer = admin_page(new_page, console, "kb_reviewer")
        reviewer.goto("/console/admin/review")
        item = reviewer.locator(".review-item", has_text=POLICY)
        expect(item.locator(".d-add", has_text=marker)).to_have_count(1)
        item.locator("input[name=why]").first.fill("已核对原文，同意发布")
        item.get_by_role("button", name="审核通过并发布").click()
        expect(reviewer.locator(".notice")).to_contain_text("已发布")
        screenshot(reviewer, "admin-4-published")

        # 5. The bot answers with the new content at once: REST chat and /api/match.
        assert marker in bot_reply(console, OWNER_QUESTION)
        assert api_benefit(console) == original + marker

        # 6. One-click rollback (with the why) puts the old content back.
        reviewer.goto(f"/console/admin/policies/{POLICY}/history")
        reviewer.fill("#rollback-why", "测试结束，恢复")
        reviewer.click("#btn-rollback")
        expect(reviewer.locator(".notice")).to_contain_text("已回滚")
        screenshot(reviewer, "admin-5-rolled-back")
        assert published_version(session_kb_url) == live_before
        assert api_benefit(console) == original
        assert marker not in bot_reply(console, OWNER_QUESTION)
        assert not author.errors and not reviewer.errors, author.errors + reviewer.errors


def test_broken_import_changes_nothing_and_shows_the_line(console, accounts, new_page, session_kb_url, tmp_path):
    path = next(p for p in loader.policy_files() if p.stem == POLICY)
    text = path.read_text(encoding="utf-8").replace("family: guaranteed_loan", "family: guaranteed_loans")
    line = text.splitlines().index("family: guaranteed_loans") + 1
    broken = tmp_path / f"{POLICY}.yml"
    broken.write_text(text, encoding="utf-8")
    with session_scope(session_kb_url) as session:
        before = workflow.kb_version(session=session)[0]

    page = admin_page(new_page, console, "kb_author")
    page.goto("/console/admin/import")
    page.set_input_files("#import-files", str(broken))
    page.fill("#import-why", "2026 年新文件")
    page.click("#btn-import")
    errors = page.locator("#import-errors")
    expect(errors).to_contain_text("没有导入任何内容")
    expect(errors).to_contain_text(f"{POLICY}.yml 第 {line} 行：未知类别 'guaranteed_loans'")
    screenshot(page, "admin-6-import-error")
    with session_scope(session_kb_url) as session:
        assert workflow.kb_version(session=session)[0] == before
    with page.expect_download() as download:
        page.click("#export-link")
    assert download.value.suggested_filename.endswith(".zip")


def test_an_import_is_reviewed_field_by_field_with_its_regression_cases(console, accounts, new_page, session_kb_url,
                                                                       tmp_path):
    """An admin's import waits for a second admin like an edit; the review shows what changed in
    words (a list merely re-ordered does not show) and the regression case the change breaks."""
    path = next(p for p in loader.policy_files() if p.stem == POLICY)
    text = path.read_text(encoding="utf-8")
    leaf = "field: employees\n          op: gt\n          value: "
    stricter = text.replace(leaf + "0", leaf + "50")
    keywords = next(line for line in text.splitlines() if line.startswith("keywords: ["))
    words = keywords[len("keywords: ["):-1].split(", ")
    stricter = stricter.replace(keywords, "keywords: [" + ", ".join(reversed(words)) + "]")
    assert stricter.count("value: 50") == 1
    upload = tmp_path / f"{POLICY}.yml"
    upload.write_text(stricter, encoding="utf-8")
    with restore_kb(session_kb_url) as live_before:
        author = admin_page(new_page, console, "kb_author")
        author.goto("/console/admin/import")
        author.set_input_files("#import-files", str(upload))
        author.fill("#import-why", "2026 年新文件：企业贷款门槛")
        author.click("#btn-import")
        expect(author.locator("#import-report")).to_contain_text("已提交审核")
        assert published_version(session_kb_url) == live_before  # waits for the second admin

        reviewer = admin_page(new_page, console, "kb_reviewer")
        reviewer.goto("/console/admin/review")
        item = reviewer.locator(".review-item", has_text="2026 年新文件：企业贷款门槛")
        changes = item.locator("table.changes tr.change")
        expect(changes).to_have_count(1)  # the re-ordered keywords are not a change
        expect(changes.first.locator("th")).to_have_text("申请条件")
        expect(changes.first.locator(".d-add")).to_contain_text("雇工人数 大于 50")
        expect(item.locator(".review-cases")).to_contain_text("有员工的小微企业走企业贷款路径")
        expect(item.locator(".review-cases tr.case-changed")).to_have_count(1)
        screenshot(reviewer, "admin-8-import-review")
        item.locator("input[name=why]").first.fill("已核对新文件")
        item.get_by_role("button", name="审核通过并发布").click()
        expect(reviewer.locator(".notice")).to_contain_text("已发布")
        assert published_version(session_kb_url) != live_before

        # The emergency exit: immediate, and the other admin sees it on the policy list.
        reviewer.goto(f"/console/admin/policies/{POLICY}/history")
        reviewer.fill("#rollback-why", "门槛写错，先恢复")
        reviewer.click("#btn-rollback")
        expect(reviewer.locator(".notice")).to_contain_text(f"已回滚到第 {live_before} 版")
        author.goto("/console/admin/policies")
        expect(author.locator("#recent-rollbacks")).to_contain_text("门槛写错，先恢复")
        assert published_version(session_kb_url) == live_before
        assert not author.errors and not reviewer.errors, author.errors + reviewer.errors


def test_analytics_charts_real_conversations(console, accounts, new_page):
    if not CHART_JS.exists():
        pytest.fail(f"{CHART_JS} missing: run bot/web/fetch_static.sh (make setup)")
    owner, stranger = (f"admin-e2e-{uuid.uuid4().hex[:8]}" for _ in range(2))
    converse_until_listed(console, owner)
    say(console, stranger, "帮我订一张去北京的机票")
    off_topic = understood_as(console, stranger) in ("nlu_fallback", "out_of_scope")

    page = admin_page(new_page, console, "kb_reviewer")
    page.goto("/console/admin/analytics?days=7")
    expect(page.locator("#analytics[data-rendered='3']")).to_be_attached()
    for chart in ("chart-daily", "chart-intents", "chart-families"):
        box = page.locator(f"#{chart}").bounding_box()
        assert box and box["width"] > 200 and box["height"] > 150, chart
        # Chart.js drew on the canvas: some pixels are not transparent.
        painted = page.evaluate(
            """id => { const c = document.getElementById(id); const d = c.getContext('2d')
                       .getImageData(0, 0, c.width, c.height).data;
                       let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i]) n++; } return n; }""", chart)
        assert painted > 500, chart
    assert "创业担保贷款" in page.evaluate("() => window.ZCT.charts.families.data.labels")
    assert int(page.locator("#kpi-messages").inner_text()) >= 3
    if off_topic:  # what the model made of it decides whether it counts as unanswered
        expect(page.locator("#unanswered")).to_contain_text("帮我订一张去北京的机票")
    screenshot(page, "admin-7-analytics")
    with page.expect_download() as download:
        page.click("#unanswered a.csv")
    assert download.value.suggested_filename.startswith("unanswered-")
    assert not page.errors, page.errors
