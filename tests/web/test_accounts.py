"""Accounts, lock-out and sessions (bot.web.accounts, bot.web.lockout) and `python -m bot users`:
data-layer units on a fresh database."""
from __future__ import annotations

import datetime as dt
import io
import time

import pytest

from bot.web import accounts, auth, lockout
from bot.cli import users as users_cli
from bot.web.models import LoginAttempt, User
from policies_kb.db import session_scope
from policies_kb.models import utcnow

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
    monkeypatch.setenv("CONSOLE_SESSION_HOURS", "0.000001")  # 3.6 ms
    with session_scope(kb_url) as session:
        expired = accounts.start_session(session=session, user=session.get(User, user.id))
    time.sleep(0.01)
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


