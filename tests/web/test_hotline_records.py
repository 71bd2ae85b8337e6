"""工单, call drafts and policy search over real HTTP on loopback against the real Rasa server
and model: a call's state is kept on the server, a saved 工单 is found by the caller's phone
and exported, the loose 文号 search works from the call page's endpoint."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from tests.web.conftest import http_login, page_csrf

pytestmark = pytest.mark.integration
PHONE = "13700001234"


def call_id(session, base) -> str:
    page = session.get(base + "/console/call", timeout=30)
    assert page.status_code == 200
    return re.search(r'data-call="([^"]+)"', page.text).group(1)


def post(session, base, path, csrf, body):
    return session.post(base + path, json=body, headers={"X-CSRF-Token": csrf}, timeout=30)


def test_call_state_is_kept_on_the_server(console):
    session = http_login(console.url, "staff1", "staff1-pass-9x")
    csrf = page_csrf(session, console.url)
    session.get(console.url + "/console/call?new=1", timeout=30)
    cid = call_id(session, console.url)
    resp = post(session, console.url, "/console/api/call/parse", csrf,
                {"call_id": cid, "text": "我是退役军人，开了个饭馆，个体户，一个月七八万", "profile": {},
                 "ticket": {"caller_name": "李四", "caller_phone": PHONE}})
    assert resp.status_code == 200, resp.text
    data = resp.json()
    assert data["kept"] is True and data["profile"]["monthly_sales"] == 7.5  # the bot's normalisation
    again = http_login(console.url, "staff1", "staff1-pass-9x")  # a new login (another browser) resumes it
    page = again.get(console.url + "/console/call", timeout=30).text
    assert f'data-call="{cid}"' in page and "一个月七八万" in page and f'value="{PHONE}"' in page
    assert 'value="7.5"' in page and "已恢复未结束的来电" in page
    other = http_login(console.url, "staff2", "staff2-pass-8q")  # another operator never sees it
    assert "一个月七八万" not in other.get(console.url + "/console/call", timeout=30).text


def test_ticket_saved_found_by_phone_and_exported(console):
    session = http_login(console.url, "staff1", "staff1-pass-9x")
    csrf = page_csrf(session, console.url)
    session.get(console.url + "/console/call?new=1", timeout=30)
    cid = call_id(session, console.url)
    turns = [{"text": "我是退役军人开饭馆的个体户"}, {"text": "创业担保贷款怎么申请"}]
    body = {"call_id": cid, "profile": {"entity_type": "个体工商户", "identities": ["退役军人"], "industry": "餐饮"},
            "turns": turns, "topic": "ask_guaranteed_loan", "department": "",
            "ticket": {"caller_name": "王五", "caller_phone": "", "category": "政策咨询", "outcome": "办结"}}
    refused = post(session, console.url, "/console/api/tickets", csrf, body)
    assert refused.status_code == 400 and refused.json()["field"] == "caller_phone"
    body["ticket"].update(caller_phone="139-0000-5678", outcome="转办", follow_up_on="2026-12-20")
    body["department"] = "市人力资源和社会保障局"
    saved = post(session, console.url, "/console/api/tickets", csrf, body)
    assert saved.status_code == 200, saved.text
    ticket = saved.json()["ticket"]
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).strftime("%Y%m%d")
    assert ticket["number"].startswith(today) and ticket["caller_phone"] == "139****5678"
    assert "创业担保贷款及财政贴息的办理方法" in ticket["answer"]
    assert {"name": "创业担保贷款及财政贴息", "doc_no": "财金〔2023〕75号"}.items() <= ticket["policies"][0].items()

    listing = session.get(console.url + "/console/tickets", params={"phone": "13900005678"}, timeout=30).text
    assert ticket["number"] in listing and "139****5678" in listing and "13900005678" not in listing.split('<table class="tickets">')[1]
    assert "王*" in listing and "转办：市人力资源和社会保障局" in listing
    history = session.get(console.url + "/console/api/tickets/history", params={"phone": "13900005678"}, timeout=30)
    assert ticket["number"] in history.json()["html"]
    export = session.get(console.url + "/console/tickets/export.csv", params={"phone": "5678"}, timeout=30)
    assert export.status_code == 200 and export.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    mine = [r for r in rows if r["工单编号"] == ticket["number"]]
    assert mine and mine[0]["来电号码"] == "13900005678" and mine[0]["回访日期"] == "2026-12-20"
    assert "财金〔2023〕75号" in mine[0]["引用政策（文号）"]
    # Saving closed the call: the next visit starts a fresh one.
    assert call_id(session, console.url) != cid


def test_policy_search_from_the_call_page(console):
    session = http_login(console.url, "staff1", "staff1-pass-9x")
    csrf = page_csrf(session, console.url)
    resp = post(session, console.url, "/console/api/call/search", csrf,
                {"q": "财金2023 75", "profile": {"identities": ["退役军人"]}})
    assert resp.status_code == 200
    items = resp.json()["items"]
    assert items[0]["id"] == "startup_guaranteed_loan" and items[0]["doc_no"] == "财金〔2023〕75号"
    picked = post(session, console.url, "/console/api/call/match", csrf,
                  {"profile": {"identities": ["退役军人"]}, "picked": ["startup_guaranteed_loan"]}).json()
    assert picked["script"].count("您问到的") == 1 and "您问到的创业担保贷款及财政贴息" in picked["script"]
    unpicked = post(session, console.url, "/console/api/call/match", csrf, {"profile": {"identities": ["退役军人"]}})
    assert "您问到的" not in unpicked.json()["script"]
