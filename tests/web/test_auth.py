"""Accounts, lock-out, sessions and CSRF: data-layer units on a fresh database, then plain
HTTP against the real Rasa server (loopback), then the login page in Chromium."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import requests

from bot.web import accounts, auth, lockout, users_cli
from policies_kb.db import session_scope
from bot.web.models import LoginAttempt, User
from policies_kb.models import utcnow
from tests.web.conftest import http_login, login_form_token, page_csrf, screenshot, ui_login, users_cli as run_users_cli

T0 = dt.datetime(2026, 1, 1, 9, 0)


# ---- units -------------------------------------------------------------------------------

@pytest.mark.parametrize("username,password,role,message", [
    ("", "long-enough-1", "staff", "用户名"),
    ("has space", "long-enough-1", "staff", "用户名"),
    ("ok", "short", "staff", "至少 8 位"),
    ("ok", " padded-pass ", "staff", "首尾"),
    ("ok", "long-enough-1", "root", "角色"),
])
def test_create_user_refuses_bad_input(kb_url, username, password, role, message):
    with session_scope(kb_url) as session:
        with pytest.raises(accounts.UserError, match=message):
            accounts.create_user(session=session, username=username, password=password, role=role)


def test_password_is_hashed_and_names_are_unique(kb_url):
    with session_scope(kb_url) as session:
        user = accounts.create_user(session=session, username="zhang", password="correct-horse", role="staff")
        assert user.password_hash.startswith("$argon2") and "correct-horse" not in user.password_hash
    with session_scope(kb_url) as session:
        with pytest.raises(accounts.UserError, match="已存在"):
            accounts.create_user(session=session, username="zhang", password="another-pass", role="admin")


def test_authenticate_records_every_try(kb_url):
    with session_scope(kb_url) as session:
        accounts.create_user(session=session, username="li", password="correct-horse", role="admin")
    with pytest.raises(accounts.AuthError, match="不正确"):
        with session_scope(kb_url) as session:
            accounts.authenticate(session=session, username="li", password="wrong-horse", ip="10.0.0.1")
    with pytest.raises(accounts.AuthError, match="不正确"):
        with session_scope(kb_url) as session:  # unknown names fail the same way
            accounts.authenticate(session=session, username="nobody", password="wrong-horse", ip="10.0.0.1")
    with session_scope(kb_url) as session:
        assert accounts.authenticate(session=session, username="li", password="correct-horse").role == "admin"
    with session_scope(kb_url) as session:
        tries = [(a.username, a.success) for a in session.query(LoginAttempt).order_by(LoginAttempt.id)]
    assert tries == [("li", False), ("nobody", False), ("li", True)]


@pytest.mark.parametrize("minutes,limit,locked_until", [
    ([0, 1, 2, 3, 4], 5, 19),          # five within 15 min: locked 15 min from the fifth
    ([0, 1, 2, 3], 5, None),           # four are not enough
    ([0, 4, 8, 12, 16], 5, None),      # never five inside one 15-minute window
    ([0, 4, 8, 12, 14], 5, 29),        # spread, but inside the window
    ([0, 1, 2, 3, 4, 20], 5, None),    # the lock ended at 19; one later failure does not renew it
])
def test_lock_rule(minutes, limit, locked_until):
    times = [T0 + dt.timedelta(minutes=m) for m in minutes]
    now = T0 + dt.timedelta(minutes=max(minutes))
    until = lockout._locked_until(times, limit, now)
    assert until == (T0 + dt.timedelta(minutes=locked_until) if locked_until is not None else None)


@pytest.mark.parametrize("minutes,now,locked_until", [
    (list(range(9)), 8, None),                # nine failures: below the account limit
    (list(range(10)), 9, 10),                 # the tenth: one minute from it
    (list(range(10)) + [11], 11, 13),         # one more after that lock: two minutes
    (list(range(10)) + [11, 14], 14, 18),     # and four
    (list(range(10)), 11, None),              # the one-minute lock is over
    ([0] * 20 + [14], 14, 29),                # doubling stops at LOCK_DURATION
    (list(range(10)), 30, None),              # old failures leave the window
])
def test_account_backoff_rule(minutes, now, locked_until):
    times = [T0 + dt.timedelta(minutes=m) for m in minutes]
    until = lockout._backoff_until(times, lockout.MAX_FAILURES_PER_ACCOUNT, T0 + dt.timedelta(minutes=now))
    assert until == (T0 + dt.timedelta(minutes=locked_until) if locked_until is not None else None)


def _fail(kb_url, username, ip, times=1):
    for _ in range(times):
        with pytest.raises(accounts.AuthError):
            with session_scope(kb_url) as session:
                accounts.authenticate(session=session, username=username, password="bad-guess", ip=ip)


def _login_ok(kb_url, username, ip):
    with session_scope(kb_url) as session:
        return accounts.authenticate(session=session, username=username, password="correct-horse", ip=ip).username


def test_lockout_is_per_account_and_address(kb_url):
    with session_scope(kb_url) as session:
        for name in ("wang", "chen"):
            accounts.create_user(session=session, username=name, password="correct-horse", role="staff")
    _fail(kb_url, "wang", "10.0.0.2", lockout.MAX_FAILURES_PER_USER - 1)
    with pytest.raises(accounts.LockedOut, match="锁定"):
        with session_scope(kb_url) as session:
            accounts.authenticate(session=session, username="wang", password="bad-guess", ip="10.0.0.2")
    with pytest.raises(accounts.LockedOut):  # the right password waits too, at that address
        _login_ok(kb_url, "wang", "10.0.0.2")
    assert _login_ok(kb_url, "chen", "10.0.0.2") == "chen"  # a colleague behind the same NAT
    assert _login_ok(kb_url, "wang", "10.0.0.3") == "wang"  # wang from another address
    with session_scope(kb_url) as session:
        assert lockout.unlock(session=session, username="wang") == lockout.MAX_FAILURES_PER_USER
    assert _login_ok(kb_url, "wang", "10.0.0.2") == "wang"


def test_guessing_one_account_from_many_addresses_backs_off(kb_url):
    with session_scope(kb_url) as session:
        accounts.create_user(session=session, username="sun", password="correct-horse", role="staff")
    for i in range(lockout.MAX_FAILURES_PER_ACCOUNT - 1):
        _fail(kb_url, "sun", f"10.1.0.{i}")
    with pytest.raises(accounts.LockedOut, match="1 分钟"):
        with session_scope(kb_url) as session:
            accounts.authenticate(session=session, username="sun", password="bad-guess", ip="10.1.1.1")
    with pytest.raises(accounts.LockedOut):  # everywhere, for a short while
        _login_ok(kb_url, "sun", "10.2.0.1")


def test_a_noisy_address_is_slowed_never_locked(kb_url):
    with session_scope(kb_url) as session:
        accounts.create_user(session=session, username="zhou", password="correct-horse", role="staff")
        now = utcnow()
        session.add_all(LoginAttempt(at=now - dt.timedelta(seconds=i), username=f"spray{i}", ip="10.9.9.9",
                                     success=False) for i in range(lockout.MAX_FAILURES_PER_IP))
    with session_scope(kb_url) as session:
        assert lockout.address_delay(session=session, ip="10.9.9.9") == lockout.SLOW_DOWN
        assert lockout.address_delay(session=session, ip="10.9.9.8") == 0
    assert _login_ok(kb_url, "zhou", "10.9.9.9") == "zhou"


def test_sessions_expire_and_end_with_password_change(kb_url, monkeypatch):
    with session_scope(kb_url) as session:
        user = accounts.create_user(session=session, username="zhao", password="correct-horse", role="staff")
        token = accounts.start_session(session=session, user=user)
    with session_scope(kb_url) as session:
        found, csrf = accounts.load_session(session=session, token=token)
        assert (found.username, found.role) == ("zhao", "staff") and len(csrf) > 30
        assert accounts.load_session(session=session, token=token + "x") is None
    monkeypatch.setenv("CONSOLE_SESSION_HOURS", "-1")
    with session_scope(kb_url) as session:
        expired = accounts.start_session(session=session, user=session.get(User, user.id))
    with session_scope(kb_url) as session:
        assert accounts.load_session(session=session, token=expired) is None
        accounts.set_password(session=session, username="zhao", password="new-horse-99")
    with session_scope(kb_url) as session:
        assert accounts.load_session(session=session, token=token) is None


@pytest.mark.parametrize("target,expected", [
    ("/console/handoff", "/console/handoff"),
    ("/console/admin/policies?x=1", "/console/admin/policies?x=1"),
    ("//evil.example/console/", "/console/call"),
    ("https://evil.example/", "/console/call"),
    ("/console/login?next=/x", "/console/call"),
    ("/webhooks/rest/webhook", "/console/call"),
    (None, "/console/call"),
])
def test_next_is_never_an_open_redirect(target, expected):
    assert auth.safe_next(target) == expected


def test_role_order():
    assert accounts.CurrentUser(1, "a", "admin").has_role("staff")
    assert not accounts.CurrentUser(2, "s", "staff").has_role("admin")
    with pytest.raises(ValueError):
        auth.login_required("root")


def test_users_cli(kb_url, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("piped-password-1\n"))
    assert users_cli.main(["add", "chen", "--role", "admin"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("piped-password-1\n"))
    assert users_cli.main(["add", "chen", "--role", "staff"]) == 1
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))  # no default password, ever
    assert users_cli.main(["add", "empty", "--role", "staff"]) == 2
    monkeypatch.setattr("sys.stdin", io.StringIO("new-password-22\n"))
    assert users_cli.main(["passwd", "chen"]) == 0
    assert users_cli.main(["disable", "chen"]) == 0
    assert users_cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "chen\tadmin\t停用" in out and "empty" not in out
    with pytest.raises(accounts.AuthError):
        with session_scope(kb_url) as session:
            accounts.authenticate(session=session, username="chen", password="new-password-22")


def test_users_cli_prompts_twice(kb_url, monkeypatch):
    answers = iter(["typed-password-1", "typed-password-2"])
    monkeypatch.setattr("sys.stdin", type("Tty", (io.StringIO,), {"isatty": lambda self: True})())
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert users_cli.main(["add", "typo", "--role", "staff"]) == 2  # the two entries differ


def test_users_cli_password_not_utf8(kb_url):
    import subprocess
    import sys

    from tests.support import servers

    done = subprocess.run([sys.executable, "-m", "bot", "users", "add", "gbk_user", "--role", "staff"],
                          cwd=servers.ROOT, env=servers.base_env({"DATABASE_URL": kb_url}),
                          input="密码密码密码12".encode("gbk") + b"\n", capture_output=True, timeout=120)
    stderr = done.stderr.decode("utf-8")
    assert done.returncode == 2 and "不是 UTF-8 编码" in stderr and "Traceback" not in stderr
    with session_scope(kb_url) as session:
        assert accounts.get_user(session=session, username="gbk_user") is None


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
