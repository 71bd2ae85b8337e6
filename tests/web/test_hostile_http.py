"""Hostile requests against the real Rasa server on loopback: JSON bombs and non-JSON numbers,
oversized bodies, import bombs, and a noisy client behind the office NAT.

Every refusal is checked for what it must not do as well: import nothing, lock nobody else."""
from __future__ import annotations

import http.client
import io
import json
import time
import uuid
import zipfile
from urllib.parse import urlsplit

import pytest
import requests

from bot.web import body
from policies_kb import loader, sources, workflow
from policies_kb.db import session_scope
from tests.policies_kb.test_sources import ALIAS_BOMB, make_zip
from tests.web.admin_helpers import Console, say, understood_as
from tests.web.conftest import USERS, http_login, login_form_token, page_csrf

pytestmark = pytest.mark.integration

PROFILE = {"entity_type": "个体工商户", "identities": ["退役军人"]}


def kb_version(db_url):
    """What an import may change: live content (the version) or versions waiting for review."""
    from policies_kb.models import PolicyVersion

    with session_scope(db_url) as session:
        return workflow.kb_version(session=session)[0], session.query(PolicyVersion).count()


def declared_only(url: str, path: str, length: int, content_type: str = "application/json") -> http.client.HTTPResponse:
    """A POST that declares `length` bytes of body and sends none: the answer must not wait."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("POST", path)
    conn.putheader("Content-Type", content_type)
    conn.putheader("Content-Length", str(length))
    conn.endheaders()
    return conn.getresponse()


# ---- /api/match ------------------------------------------------------------------------------

@pytest.mark.parametrize("raw,message", [
    ('{"profile": ' + "[" * 1000 + "]" * 1000 + "}", f"JSON 嵌套超过 {body.MAX_JSON_DEPTH} 层"),
    ('{"profile": {"monthly_revenue": NaN}}', "不允许 NaN"),
    ('{"profile": {"monthly_revenue": Infinity}}', "不允许 Infinity"),
    ('{"profile": {"monthly_revenue": -Infinity}}', "不允许 -Infinity"),
    ('{"profile": {"monthly_revenue": 1e400}}', "超出范围"),
    ('{"profile": {"entity_type": "个体工商户"}', "不是合法的 JSON"),
    ("[1, 2]", "应为 JSON 对象"),
], ids=["deep", "nan", "infinity", "minus-infinity", "overflow", "truncated", "array"])
def test_api_match_refuses_bad_json_with_400(console, raw, message):
    reply = requests.post(f"{console.url}/api/match", data=raw.encode(), timeout=30,
                          headers={"Content-Type": "application/json"})
    assert reply.status_code == 400, reply.text[:300]
    data = reply.json()  # and the answer itself is strict JSON
    assert data["error"] == "invalid_request" and data["field"] == "body" and message in data["message"]


def test_api_match_body_over_the_cap_is_413(console):
    padding = {"profile": PROFILE, "pad": "x" * body.JSON_LIMIT}
    reply = requests.post(f"{console.url}/api/match", json=padding, timeout=30)
    assert reply.status_code == 413 and "64 KB" in reply.json()["message"]
    started = time.monotonic()
    answer = declared_only(console.url, "/api/match", 50 * 1024 * 1024)
    assert answer.status == 413 and time.monotonic() - started < 5
    # A normal request still works.
    ok = requests.post(f"{console.url}/api/match", json={"profile": PROFILE}, timeout=60)
    assert ok.status_code == 200 and ok.json()["results"]


def test_console_json_refuses_nan_too(console):
    staff = http_login(console.url, "staff1", USERS["staff1"][1])
    reply = staff.post(f"{console.url}/console/api/call/match", data=b'{"profile": {"monthly_revenue": NaN}}',
                       headers={"Content-Type": "application/json", "X-CSRF-Token": page_csrf(staff, console.url)},
                       timeout=30)
    assert reply.status_code == 400 and "NaN" in reply.json()["message"]


# ---- admin import ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def admin(console):
    return Console(console.url, "admin1", USERS["admin1"][1])


def good_policy():
    path = next(p for p in loader.policy_files() if p.stem == "vat_small_scale_1pct")
    return f"tax_relief/{path.name}", path.read_text(encoding="utf-8").replace("减按 1%", "减按 1%（炸弹测试）")


def test_zip_bomb_is_refused_quickly_and_imports_nothing(admin, session_kb_url):
    member = b"#" * (sources.MAX_FILE_BYTES - 1)
    bombs = [(f"tax_relief/p{i}.yml", member) for i in range(sources.MAX_TOTAL_BYTES // len(member) + 2)]
    upload = make_zip([good_policy()] + bombs)
    assert len(upload) < 200_000
    before = kb_version(session_kb_url)
    started = time.monotonic()
    reply = admin.post("/console/admin/import", {"why": "压缩包炸弹"}, files=[("files", ("bomb.zip", upload))])
    assert reply.status_code == 400 and "合计不能超过 8 MB（解压后）" in reply.text
    assert time.monotonic() - started < 15
    assert kb_version(session_kb_url) == before  # the good policy in the same zip is not imported


def test_member_flood_and_alias_bomb_and_oversized_policy_are_refused(admin, session_kb_url):
    before = kb_version(session_kb_url)
    flood = make_zip([(f"x/{i}.yml", b"a: 1\n") for i in range(sources.MAX_FILES + 1)])
    reply = admin.post("/console/admin/import", {"why": "测试"}, files=[("files", ("flood.zip", flood))])
    assert reply.status_code == 400 and f"一次最多导入 {sources.MAX_FILES} 个" in reply.text
    name, good = good_policy()
    reply = admin.post("/console/admin/import", {"why": "测试"},
                       files=[("files", ("vat_small_scale_1pct.yml", good.encode())),
                              ("files", ("lol.yml", ALIAS_BOMB.encode()))])
    assert reply.status_code == 400 and "lol.yml 第 1 行：YAML 格式错误：政策文件不允许使用 YAML 锚点和别名" in reply.text
    big = good + "# 填充\n" * 40_000
    reply = admin.post("/console/admin/import", {"why": "测试"}, files=[("files", ("vat_small_scale_1pct.yml", big.encode()))])
    assert reply.status_code == 400 and "vat_small_scale_1pct.yml：单个政策文件不能超过 256 KB" in reply.text
    assert kb_version(session_kb_url) == before


def test_upload_over_the_cap_is_refused_before_it_is_read(admin, session_kb_url):
    reply = admin.post("/console/admin/import", {"why": "测试"},
                       files=[("files", ("big.zip", b"\0" * (sources.MAX_UPLOAD_BYTES + 1024)))])
    assert reply.status_code == 413 and "4 MB" in reply.text
    started = time.monotonic()
    answer = declared_only(admin.base, "/console/admin/import", 400 * 1024 * 1024, "multipart/form-data; boundary=x")
    assert answer.status == 413 and time.monotonic() - started < 5


# ---- a noisy client behind the office NAT ------------------------------------------------------

def wrong_login(base, username):
    session = requests.Session()
    token = login_form_token(session, base)
    return session.post(f"{base}/console/login", timeout=30, allow_redirects=False,
                        data={"login_csrf": token, "username": username, "password": "wrong-guess-1"})


def test_one_noisy_client_cannot_lock_out_the_office(console):
    noisy = f"noisy-{uuid.uuid4().hex[:6]}"
    codes = [wrong_login(console.url, noisy).status_code for _ in range(5)]
    codes += [wrong_login(console.url, f"spray-{uuid.uuid4().hex[:6]}").status_code for _ in range(26)]
    assert codes[:4] == [401] * 4 and codes[4] == 429  # the noisy name is locked at this address...
    assert set(codes[5:]) == {401}
    # ...but 31 failures from the shared address lock nobody else out.
    session = http_login(console.url, "staff1", USERS["staff1"][1])
    assert session.get(f"{console.url}/console/call", allow_redirects=False, timeout=30).status_code == 200


# ---- what owners type, as the analytics page and its CSV show it ------------------------------

def test_phone_and_id_numbers_typed_in_chat_are_masked_in_analytics(console, admin):
    sender = f"pii-{uuid.uuid4().hex[:6]}"
    typed = {"qwerty 13812345678 asdf zxcv": "138****5678",
             "帮我订一张去北京的机票，身份证11010519491231002X": "110105********002X",
             "=HYPERLINK(\"http://evil.example\",\"qwerty 13912345678\")": "'=HYPERLINK"}
    unanswered = []
    for text_, masked in typed.items():
        say(console, sender, text_)
        if understood_as(console, sender) in ("nlu_fallback", "out_of_scope"):
            unanswered.append(masked)
    assert unanswered, "the model understood every on-purpose nonsense message"
    page = admin.get("/console/admin/analytics?days=7").text
    table = admin.get("/console/admin/analytics.csv?table=unanswered&days=7").content.decode("utf-8-sig")
    for shown in (page, table):
        assert "13812345678" not in shown and "11010519491231002X" not in shown and "13912345678" not in shown
    for masked in unanswered:
        assert masked in table
        assert masked.lstrip("'") in page
