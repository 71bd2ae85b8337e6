"""The hotline console in Chromium, as operators use it: a call with F5 and a new login in the
middle (nothing lost), the 工单 saved, found by phone and exported; the script never claiming
the caller asked about what they did not; one operator's claim blocking a second; a refused
release notice shown on the queue with a working retry."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import requests
from playwright.sync_api import expect

from bot.channels.rest import conversation_id
from tests.channels.wechat_side import new_openid
from tests.web.test_hotline_handoff import ask_for_human
from tests.web.conftest import http_login, page_csrf, screenshot, ui_login

pytestmark = [pytest.mark.integration, pytest.mark.browser]
BEIJING = dt.timezone(dt.timedelta(hours=8))


def new_call(page):
    page.goto("/console/call?new=1")
    page.wait_for_selector("#call-form")


def say(page, text, turns):
    page.fill("#caller-text", text)
    page.press("#caller-text", "Enter")
    expect(page.locator("#turns li")).to_have_count(turns)


def test_call_survives_f5_and_relogin_then_ticket_is_saved_found_and_exported(console, new_page):
    page = new_page(console.url)
    ui_login(page, "staff1", "staff1-pass-9x")
    page.wait_for_url("**/console/call")
    new_call(page)
    say(page, "我是退役军人，开了个饭馆，个体户，雇了两个人", 1)
    expect(page.locator("#f-industry")).to_have_value("餐饮")
    page.fill("#t-caller_name", "赵六")
    page.fill("#t-caller_phone", "13611112222")
    with page.expect_response("**/console/api/call/match") as saved:
        page.select_option("#t-category", "政策咨询")  # a change: the draft is saved with it
    assert saved.value.json()["kept"] is True
    page.fill("#caller-text", "还没说完的一句")  # typed but not added: not part of the call yet

    page.reload()  # F5 in the middle of the call
    expect(page.locator("#turns li")).to_have_count(1)
    assert "退役军人" in page.inner_text("#turns")
    assert page.input_value("#f-industry") == "餐饮" and page.input_value("#f-employees") == "2"
    assert page.input_value("#t-caller_phone") == "13611112222" and page.input_value("#t-category") == "政策咨询"
    assert page.is_visible("#resumed")

    page.click("text=退出登录")  # the session ends (as when it expires); a new login resumes the call
    ui_login(page, "staff1", "staff1-pass-9x")
    page.wait_for_url("**/console/call")
    expect(page.locator("#turns li")).to_have_count(1)
    assert page.input_value("#t-caller_name") == "赵六"

    say(page, "创业担保贷款怎么申请", 2)
    expect(page.locator("#script")).to_contain_text("的办理方法")
    page.select_option("#t-outcome", "办结")
    page.click("#save-ticket")
    expect(page.locator("#ticket-saved")).to_contain_text("已保存，工单编号")
    number = re.search(r"工单编号 (\d+)", page.inner_text("#ticket-saved")).group(1)
    assert number.startswith(dt.datetime.now(BEIJING).strftime("%Y%m%d"))
    screenshot(page, "call_ticket_saved")

    page.goto("/console/tickets")
    page.fill("#phone", "13611112222")
    page.click("form >> text=查询")
    row = page.locator(f"tr[data-number='{number}']")
    expect(row).to_have_count(1)
    assert "136****2222" in row.inner_text() and "13611112222" not in row.inner_text() and "赵*" in row.inner_text()
    shown = row.locator("td").nth(1).inner_text()
    now = dt.datetime.now(BEIJING)
    assert abs((dt.datetime.strptime(shown, "%Y-%m-%d %H:%M").replace(tzinfo=BEIJING) - now).total_seconds()) < 300
    screenshot(page, "tickets_list")
    with page.expect_download() as info:
        page.click("#export")
    with open(info.value.path(), encoding="utf-8-sig") as fh:
        exported = fh.read()
    assert number in exported and "13611112222" in exported and "财金〔2023〕75号" in exported
    row.locator("a").first.click()
    expect(page.locator("#created-at")).to_contain_text("北京时间")
    screenshot(page, "ticket_view")

    # The caller's history shows up on the next call with the same number.
    new_call(page)
    page.fill("#t-caller_phone", "13611112222")
    page.press("#t-caller_phone", "Tab")
    expect(page.locator("#history")).to_contain_text(number)
    assert page.locator("#turns li").count() == 0
    assert not page.errors


def test_script_never_claims_the_caller_asked(console, new_page):
    page = new_page(console.url)
    ui_login(page, "staff1", "staff1-pass-9x")
    page.wait_for_url("**/console/call")
    new_call(page)
    assert "您问到的" not in page.inner_text("#script") and "结束" not in page.inner_text("#script")
    say(page, "我是退役军人，开了个饭馆，个体户", 1)
    assert "您问到的" not in page.inner_text("#script")
    say(page, "想贷款", 2)
    assert "您问到的" not in page.inner_text("#script")
    # A topic orders, it does not hide: the veteran's tax deduction stays on the page.
    assert page.locator("#results .policy[data-policy=veterans_startup_tax]").count() == 1
    say(page, "那个2022年的承租国有房屋减免租金还能办吗", 3)
    expect(page.locator("#script")).to_contain_text("您问到的承租国有房屋减免租金（2022 年）")
    assert page.inner_text("#script").count("您问到的") == 1
    page.fill("#policy-q", "财金2023 75")
    page.click("#policy-search")
    hit = page.locator("#search-results .hit[data-policy=startup_guaranteed_loan]")
    expect(hit).to_have_count(1)
    hit.locator(".pick").click()
    expect(page.locator("#script")).to_contain_text("您问到的创业担保贷款及财政贴息")
    screenshot(page, "call_search_and_script")
    assert not page.errors


def hand_over_rest(console) -> str:
    sender = "rest-claim-" + new_openid()[-8:]
    for text in ("我开了个小卖部，个体户", "转人工"):
        reply = requests.post(f"{console.url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                              timeout=30)
        reply.raise_for_status()
    assert "转人工" in str(reply.json()), reply.text  # the bot really handed over (not a busy fallback)
    return conversation_id(sender)


def test_claim_by_one_operator_blocks_the_second(console, new_page):
    conv = hand_over_rest(console)
    first = new_page(console.url)
    ui_login(first, "staff1", "staff1-pass-9x")
    first.wait_for_url("**/console/call")
    first.goto("/console/handoff")
    row = first.locator(f"tr[data-sender='{conv}']")
    assert conv in row.inner_text()  # the whole id, not cut off
    assert "已等" in row.inner_text() and "不能主动推送" in row.inner_text()
    row.locator("text=接待").click()
    first.click("#claim")
    expect(first.locator("#claimed-by")).to_contain_text("由您接待中")
    assert "用户收不到" in first.inner_text("aside")  # REST's reach, said honestly

    second = new_page(console.url)
    ui_login(second, "staff2", "staff2-pass-8q")
    second.wait_for_url("**/console/call")
    second.goto("/console/handoff")
    expect(second.locator(f"tr[data-sender='{conv}']")).to_contain_text("staff1 接待中")
    second.locator(f"tr[data-sender='{conv}'] >> text=查看").click()
    expect(second.locator("#claimed-by")).to_contain_text("已由坐席 staff1 接待")
    assert second.locator("#reply-text").count() == 0 and second.locator("#release").count() == 0
    screenshot(second, "handoff_claimed_by_other")
    session = http_login(console.url, "staff2", "staff2-pass-8q")  # and the server refuses, not just the page
    resp = session.post(console.url + "/console/handoff/reply", timeout=30,
                        data={"csrf_token": page_csrf(session, console.url), "sender": conv, "text": "我来回答"})
    assert resp.status_code == 409 and "staff1" in resp.text

    first.click("#release")
    first.wait_for_url("**/console/handoff?notice=released_quiet")
    assert "用户下次发消息时机器人会回答" in first.inner_text(".notice")
    assert not first.errors and not second.errors


def test_release_notice_failure_is_shown_and_retried(wechat_console, wechat_owner, fake_wechat, new_page):
    openid = new_openid()
    ask_for_human(wechat_owner, openid)
    page = new_page(wechat_console.url)
    ui_login(page, "staff1", "staff1-pass-9x")
    page.wait_for_url("**/console/call")
    page.goto(f"/console/handoff/view?sender={openid}")
    fake_wechat.fail_next("send", 45015)  # WeChat refuses the release notice
    page.click("#release")
    page.wait_for_url("**/console/handoff?notice=released_failed")
    assert "没有送达" in page.inner_text(".notice")
    failed = page.locator(f"#failed-notices li[data-sender='{openid}']")
    expect(failed).to_contain_text("微信发送失败")
    screenshot(page, "handoff_release_failed")
    failed.locator(".retry").click()
    page.wait_for_url("**/console/handoff?notice=notified")
    assert page.locator(f"#failed-notices li[data-sender='{openid}']").count() == 0
    sent = [c for c in fake_wechat.calls_of("send") if (c["json"] or {}).get("touser") == openid]
    assert sent and "人工客服已结束" in sent[-1]["json"]["text"]["content"]
    assert not page.errors


def test_a_session_about_to_expire_warns_that_the_call_is_kept(console, new_page):
    page = new_page(console.url)
    ui_login(page, "staff1", "staff1-pass-9x")
    page.wait_for_url("**/console/call")
    expires = int(page.get_attribute("body", "data-session-expires"))
    now = dt.datetime.now(dt.timezone.utc).timestamp()
    assert 11 * 3600 < expires - now <= 12 * 3600  # CONSOLE_SESSION_HOURS default
    expect(page.locator("#session-warning")).to_be_hidden()
    # The page's own check, four minutes before the end, then after it
    page.evaluate("ms => ZCT.sessionWarning(ms)", (expires - 240) * 1000)
    expect(page.locator("#session-warning")).to_contain_text("登录还有 4 分钟过期。正在处理的通话已自动保存")
    page.evaluate("ms => ZCT.sessionWarning(ms)", (expires + 5) * 1000)
    expect(page.locator("#session-warning")).to_contain_text("登录已过期。正在处理的通话已保存")
    screenshot(page, "session_warning")
