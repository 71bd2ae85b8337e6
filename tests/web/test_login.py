"""Log-in, cookies, CSRF and roles over plain HTTP against the real Rasa server (loopback), then
the login page in Chromium."""
from __future__ import annotations

import re

import pytest
import requests

from bot.web import lockout
from tests.web.conftest import http_login, login_form_token, page_csrf, screenshot, ui_login, users_cli as run_users_cli

# ---- HTTP against the real server ------------------------------------------------------------

@pytest.mark.integration
def test_unauthenticated_sees_only_the_login_page(console):
    base = console.url
    for path in ("/console/call", "/console/handoff", "/console/admin/policies", "/console/handoff/view?sender=x"):
        resp = requests.get(base + path, allow_redirects=False, timeout=10)
        assert resp.status_code == 302, path
        assert resp.headers["Location"].startswith("/console/login?next=%2Fconsole%2F")
    resp = requests.post(base + "/console/api/call/match", json={"profile": {}}, timeout=10)
    assert resp.status_code == 401 and resp.json()["error"] == "login_required"
    page = requests.get(base + "/console/login", timeout=10)
    assert page.status_code == 200 and 'name="password"' in page.text
    assert "呼叫助手" not in page.text  # no navigation before login
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


@pytest.mark.integration
def test_login_cookie_and_redirect(console):
    session = requests.Session()
    token = login_form_token(session, console.url)
    resp = session.post(console.url + "/console/login", allow_redirects=False, timeout=30,
                        data={"login_csrf": token, "username": "staff1", "password": "staff1-pass-9x",
                              "next": "/console/handoff"})
    assert resp.status_code == 303 and resp.headers["Location"] == "/console/handoff"
    cookie = next(c for c in resp.headers["Set-Cookie"].split(", ") if c.startswith("zct_session="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain http on loopback
    page = session.get(console.url + "/console/call", timeout=30)
    assert page.status_code == 200 and "staff1" in page.text
    assert "呼叫助手" in page.text and "政策管理" not in page.text  # staff sees no admin entries


@pytest.mark.integration
def test_wrong_password_and_stale_login_form(console):
    session = requests.Session()
    token = login_form_token(session, console.url)
    resp = session.post(console.url + "/console/login", timeout=30,
                        data={"login_csrf": token, "username": "staff1", "password": "not-the-password"})
    assert resp.status_code == 401 and "用户名或密码不正确" in resp.text
    assert "zct_session" not in session.cookies
    resp = requests.post(console.url + "/console/login", timeout=30,  # no login-form token: refused
                         data={"username": "staff1", "password": "staff1-pass-9x"})
    assert resp.status_code == 400 and "zct_session" not in resp.headers.get("Set-Cookie", "")


@pytest.mark.integration
def test_open_redirect_refused(console):
    session = requests.Session()
    token = login_form_token(session, console.url)
    resp = session.post(console.url + "/console/login", allow_redirects=False, timeout=30,
                        data={"login_csrf": token, "username": "staff1", "password": "staff1-pass-9x",
                              "next": "//evil.example/"})
    assert resp.headers["Location"] == "/console/call"


@pytest.mark.integration
def test_posts_need_the_session_csrf_token(console):
    session = http_login(console.url, "staff1", "staff1-pass-9x")
    csrf = page_csrf(session, console.url)
    url = console.url + "/console/api/call/match"
    assert session.post(url, json={"profile": {}}, timeout=30).status_code == 403
    assert session.post(url, json={"profile": {}}, headers={"X-CSRF-Token": "forged"}, timeout=30).status_code == 403
    assert session.post(url, json={"profile": {}}, headers={"X-CSRF-Token": csrf}, timeout=30).status_code == 200
    form = {"entity_type": "个体工商户"}
    assert session.post(console.url + "/console/call", data=form, timeout=30).status_code == 403
    assert session.post(console.url + "/console/call", data={**form, "csrf_token": csrf}, timeout=30).status_code == 200
    other = http_login(console.url, "staff1", "staff1-pass-9x")  # another session's token is no good
    assert other.post(url, json={"profile": {}}, headers={"X-CSRF-Token": csrf}, timeout=30).status_code == 403


@pytest.mark.integration
def test_logout_ends_the_session(console):
    session = http_login(console.url, "staff1", "staff1-pass-9x")
    csrf = page_csrf(session, console.url)
    cookie = session.cookies.get("zct_session")
    resp = session.post(console.url + "/console/logout", data={"csrf_token": csrf}, allow_redirects=False, timeout=30)
    assert resp.status_code == 303
    stale = requests.get(console.url + "/console/call", cookies={"zct_session": cookie}, allow_redirects=False,
                         timeout=10)
    assert stale.status_code == 302


@pytest.mark.integration
def test_lockout_over_http_and_unlock(console, session_kb_url):
    session = requests.Session()
    for attempt in range(lockout.MAX_FAILURES_PER_USER):
        token = login_form_token(session, console.url)
        resp = session.post(console.url + "/console/login", timeout=30,
                            data={"login_csrf": token, "username": "locked_http", "password": f"guess-{attempt}"})
    assert resp.status_code == 429 and "锁定" in resp.text and "15 分钟" in resp.text
    token = login_form_token(session, console.url)
    resp = session.post(console.url + "/console/login", allow_redirects=False, timeout=30,
                        data={"login_csrf": token, "username": "locked_http", "password": "locked-http-3z"})
    assert resp.status_code == 429 and "zct_session" not in resp.headers.get("Set-Cookie", "")
    done = run_users_cli(session_kb_url, "unlock", "locked_http")
    assert done.returncode == 0, done.stderr
    http_login(console.url, "locked_http", "locked-http-3z")


@pytest.mark.integration
def test_disabled_user_is_logged_out(console, session_kb_url):
    session = http_login(console.url, "disable_me", "disable-me-2v")
    assert session.get(console.url + "/console/call", allow_redirects=False, timeout=30).status_code == 200
    assert run_users_cli(session_kb_url, "disable", "disable_me").returncode == 0
    assert session.get(console.url + "/console/call", allow_redirects=False, timeout=30).status_code == 302


@pytest.mark.integration
def test_staff_cannot_open_admin_pages(console):
    staff = http_login(console.url, "staff1", "staff1-pass-9x")
    for path in ("/console/admin/policies", "/console/admin/analytics"):
        resp = staff.get(console.url + path, allow_redirects=False, timeout=30)
        assert resp.status_code == 403, path
        assert "无权访问" in resp.text
    admin = http_login(console.url, "admin1", "admin1-pass-7y")
    page = admin.get(console.url + "/console/call", timeout=30)
    assert "政策管理" in page.text and "需求分析" in page.text
    assert admin.get(console.url + "/console/admin/policies", allow_redirects=False, timeout=30).status_code == 200


# ---- the login page in Chromium ----------------------------------------------------------------

@pytest.mark.integration
@pytest.mark.browser
def test_login_page_in_browser(console, new_page):
    page = new_page(console.url)
    page.goto("/console/handoff")
    assert "/console/login" in page.url  # nothing but the login page
    screenshot(page, "login")
    ui_login(page, "staff1", "wrong-password")
    assert "用户名或密码不正确" in page.inner_text("#login-error")
    ui_login(page, "staff1", "staff1-pass-9x")
    page.wait_for_url("**/console/call")
    assert page.inner_text(".who").startswith("staff1")
    page.click("text=退出登录")
    page.wait_for_url("**/console/login?bye=1")
    assert "已退出" in page.inner_text(".notice")
    assert not page.errors


@pytest.mark.integration
@pytest.mark.browser
def test_lockout_in_browser(console, new_page):
    page = new_page(console.url)
    for attempt in range(lockout.MAX_FAILURES_PER_USER):
        ui_login(page, "locked_ui", f"wrong-{attempt}")
    message = page.inner_text("#login-error")
    assert re.search(r"账号已暂时锁定，请 1[45] 分钟后再试", message), message
    ui_login(page, "locked_ui", "locked-ui-5w")
    assert "锁定" in page.inner_text("#login-error")
    screenshot(page, "login_locked")
