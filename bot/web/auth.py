"""Console accounts, sessions, CSRF, lock-out and the login / logout pages.

Shared by the hotline and admin consoles (docs/console.md). A session is a random token in an
HttpOnly, SameSite=Strict cookie limited to /console; the database keeps only its SHA-256, with
the user, the expiry and the session's CSRF token. Roles are ordered: staff < admin.

Data-layer functions are synchronous and take the SQLAlchemy session as a keyword argument
(the CLI uses them directly); request handlers run them in the default executor so a slow
database never stalls Sanic's loop.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, List, Optional, Tuple
from urllib.parse import quote

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sanic import Blueprint, response
from sanic.request import Request
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.web import render
from bot.web.body import LOGIN_LIMIT, add_route as bounded_route
from bot.web.lockout import (LOCK_DURATION, LOCK_WINDOW, MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_IP,  # noqa: F401
                             MAX_FAILURES_PER_USER, address_delay, lock_status, record_failure, unlock)
from policies_kb.db import session_scope
from policies_kb.models import LoginAttempt, User, WebSession, utcnow

logger = logging.getLogger(__name__)

ROLES = {"staff": 1, "admin": 2}  # a higher rank may do everything a lower one may
ROLE_NAMES = {"staff": "坐席", "admin": "管理员"}
SESSION_COOKIE = "zct_session"
LOGIN_CSRF_COOKIE = "zct_login_csrf"
COOKIE_PATH = "/console"
LOGIN_PATH = "/console/login"
HOME_PATH = "/console/call"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

MIN_PASSWORD_LENGTH = 8
USERNAME_MAX = 80


class AuthError(ValueError):
    """A refused login; `message` is shown to the operator as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class LockedOut(AuthError):
    def __init__(self, until: dt.datetime):
        minutes = max(1, int((until - utcnow()).total_seconds() + 59) // 60)
        super().__init__(f"登录失败次数过多，账号已暂时锁定，请 {minutes} 分钟后再试；"
                         "如需立即解锁，请联系管理员。")
        self.until = until


class UserError(ValueError):
    """Bad input to an account operation (duplicate name, short password, unknown role...)."""


@dataclass(frozen=True)
class CurrentUser:
    """The logged-in operator, as handlers see it (request.ctx.user)."""
    id: int
    username: str
    role: str

    def has_role(self, role: str) -> bool:
        return ROLES.get(self.role, 0) >= ROLES[role]

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.role, self.role)


# ---- passwords -----------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verified against for unknown usernames, so a wrong name costs as long as a wrong password.
    return _hasher().hash(secrets.token_urlsafe(16))


def _check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    if password.strip() != password:
        raise UserError("密码首尾不能有空格")


def _clean_username(username: str) -> str:
    name = (username or "").strip()
    if not name or len(name) > USERNAME_MAX or any(c.isspace() for c in name):
        raise UserError(f"用户名应为 1–{USERNAME_MAX} 个字符，不含空格")
    return name


# ---- accounts ------------------------------------------------------------------------------

def get_user(*, session: Session, username: str) -> Optional[User]:
    return session.scalar(select(User).where(User.username == username.strip()))


def create_user(*, session: Session, username: str, password: str, role: str) -> User:
    name = _clean_username(username)
    if role not in ROLES:
        raise UserError(f"角色应为 {' 或 '.join(ROLES)}")
    _check_password(password)
    if get_user(session=session, username=name) is not None:
        raise UserError(f"用户 {name} 已存在")
    user = User(username=name, password_hash=_hasher().hash(password), role=role, active=True,
                created_at=utcnow())
    session.add(user)
    session.flush()
    return user


def _require_user(session: Session, username: str) -> User:
    user = get_user(session=session, username=username)
    if user is None:
        raise UserError(f"没有用户 {username}")
    return user


def set_password(*, session: Session, username: str, password: str) -> User:
    """New password; every open session of the user ends."""
    user = _require_user(session, username)
    _check_password(password)
    user.password_hash = _hasher().hash(password)
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return user


def set_active(*, session: Session, username: str, active: bool) -> User:
    user = _require_user(session, username)
    user.active = active
    if not active:
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return user


def list_users(*, session: Session) -> List[User]:
    return list(session.scalars(select(User).order_by(User.username)))


# ---- login and lock-out --------------------------------------------------------------------

def authenticate(*, session: Session, username: str, password: str, ip: str = "") -> User:
    """The active user with this name and password, or AuthError / LockedOut (Chinese message).

    Failures are recorded even though the caller's transaction rolls back. While locked, the
    password is not checked and the try is not counted, so the lock ends LOCK_DURATION after
    the failure that caused it.
    """
    name = (username or "").strip()[:USERNAME_MAX]
    if not name or not password:
        raise AuthError("请输入用户名和密码。")
    until = lock_status(session=session, username=name, ip=ip)
    if until:
        logger.warning("console login refused (locked): user=%r ip=%s", name, ip)
        raise LockedOut(until)
    user = get_user(session=session, username=name)
    try:
        ok = _hasher().verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        ok = False
    if not (ok and user is not None and user.active):
        logger.info("console login failed: user=%r ip=%s", name, ip)
        until = record_failure(session, name, ip)
        if until:
            raise LockedOut(until)
        raise AuthError("用户名或密码不正确（或账号已停用）。")
    session.add(LoginAttempt(at=utcnow(), username=name, ip=ip or "", success=True))
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)
    user.last_login_at = utcnow()
    return user


# ---- sessions ------------------------------------------------------------------------------

def session_lifetime() -> dt.timedelta:
    try:
        hours = float(os.environ.get("CONSOLE_SESSION_HOURS") or 12)
    except ValueError:
        logger.error("CONSOLE_SESSION_HOURS=%r is not a number; using 12", os.environ.get("CONSOLE_SESSION_HOURS"))
        hours = 12.0
    return dt.timedelta(hours=hours)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(*, session: Session, user: User, ip: str = "", user_agent: str = "") -> str:
    """A new session for `user`; returns the cookie token (only its hash is stored)."""
    now = utcnow()
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    session.add(WebSession(id=_digest(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                           created_at=now, expires_at=now + session_lifetime(), ip=ip or "",
                           user_agent=(user_agent or "")[:255]))
    return token


def load_session(*, session: Session, token: str) -> Optional[Tuple[CurrentUser, str]]:
    """(user, csrf token) for a live session of an active user, else None."""
    row = session.execute(
        select(User.id, User.username, User.role, WebSession.csrf_token)
        .join(WebSession, WebSession.user_id == User.id)
        .where(WebSession.id == _digest(token), WebSession.expires_at > utcnow(), User.active.is_(True))
    ).first()
    if row is None:
        return None
    return CurrentUser(row.id, row.username, row.role), row.csrf_token


def end_session(*, session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.id == _digest(token)))


# ---- request helpers -----------------------------------------------------------------------

async def run_db(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a blocking database call in the executor (the schema is migrated at server start)."""
    return await asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args, **kwargs))


def client_ip(request: Request) -> str:
    # remote_addr is set only when Sanic is told to trust a proxy (FORWARDED_SECRET,
    # REAL_IP_HEADER); otherwise the socket's address, which cannot be forged.
    return (request.remote_addr or request.ip or "")[:64]


def _session_from_token(token: str) -> Optional[Tuple[CurrentUser, str]]:
    with session_scope() as session:
        return load_session(session=session, token=token)


async def current_user(request: Request) -> Optional[CurrentUser]:
    """The logged-in user (also sets request.ctx.user and request.ctx.csrf_token)."""
    if hasattr(request.ctx, "user"):
        return request.ctx.user
    request.ctx.user, request.ctx.csrf_token = None, ""
    token = request.cookies.get(SESSION_COOKIE)
    if token and len(token) <= 128:
        found = await run_db(_session_from_token, token)
        if found:
            request.ctx.user, request.ctx.csrf_token = found
    return request.ctx.user


def csrf_token(request: Request) -> str:
    """The session's CSRF token, for forms (field `csrf_token`) and fetch (X-CSRF-Token)."""
    return getattr(request.ctx, "csrf_token", "") or ""


def _csrf_ok(request: Request) -> bool:
    expected = csrf_token(request)
    sent = request.headers.get("X-CSRF-Token") or ""
    if not sent and request.content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        sent = request.form.get("csrf_token") or ""
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def wants_json(request: Request) -> bool:
    return request.path.startswith(("/console/api/", "/api/"))


def safe_next(target: Optional[str]) -> str:
    """Only console paths on this site: never an open redirect."""
    if (not target or not target.startswith("/console/") or target.startswith("//") or "\\" in target
            or target.startswith(LOGIN_PATH)):
        return HOME_PATH
    return target


def login_url(request: Request) -> str:
    here = request.path + (f"?{request.query_string}" if request.query_string else "")
    return f"{LOGIN_PATH}?next={quote(here, safe='')}"


def cookie_secure(request: Request) -> bool:
    return request.scheme == "https" or os.environ.get("CONSOLE_COOKIE_SECURE", "").lower() in ("1", "true", "yes")


def set_cookie(request: Request, resp, name: str, value: str, max_age: int, path: str = COOKIE_PATH) -> None:
    resp.cookies[name] = value
    cookie = resp.cookies[name]
    cookie["path"] = path
    cookie["max-age"] = max_age
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    if cookie_secure(request):
        cookie["secure"] = True


def login_required(role: str = "staff") -> Callable:
    """Decorator for console handlers: a logged-in user of at least `role`, and for any
    non-GET request the session's CSRF token (form field csrf_token or X-CSRF-Token)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def decorator(handler: Callable) -> Callable:
        @functools.wraps(handler)
        async def wrapped(request: Request, *args: Any, **kwargs: Any):
            user = await current_user(request)
            if user is None:
                if wants_json(request):
                    return render.json({"error": "login_required", "message": "登录已过期，请重新登录。",
                                        "login_url": login_url(request)}, status=401)
                return response.redirect(login_url(request))
            if not user.has_role(role):
                logger.warning("console: %s (%s) refused %s", user.username, user.role, request.path)
                if wants_json(request):
                    return render.json({"error": "forbidden", "message": "您的账号没有权限执行此操作。"}, status=403)
                return render.error_page(request, 403, "无权访问", "这个页面只对管理员开放。如需权限，请联系管理员。")
            if request.method not in SAFE_METHODS and not _csrf_ok(request):
                logger.warning("console: CSRF check failed for %s %s (%s)", request.method, request.path, user.username)
                if wants_json(request):
                    return render.json({"error": "csrf", "message": "页面已过期，请刷新页面后重试。"}, status=403)
                return render.error_page(request, 403, "页面已过期", "表单已失效（安全校验未通过），请返回并刷新页面后重试。")
            return await handler(request, *args, **kwargs)
        return wrapped
    return decorator


# ---- login / logout pages ------------------------------------------------------------------

def _login_page(request: Request, *, error: str = "", notice: str = "", username: str = "", status: int = 200):
    token = secrets.token_urlsafe(24)
    target = request.form.get("next") if request.method == "POST" else request.args.get("next")
    resp = render.render(request, "login.html", status=status, login_csrf=token, error=error, notice=notice,
                         username=username, next=safe_next(target))
    set_cookie(request, resp, LOGIN_CSRF_COOKIE, token, 3600, path=LOGIN_PATH)
    return resp


def _login(username: str, password: str, ip: str, user_agent: str) -> str:
    with session_scope() as session:
        user = authenticate(session=session, username=username, password=password, ip=ip)
        return start_session(session=session, user=user, ip=ip, user_agent=user_agent)


async def login_page(request: Request):
    if await current_user(request):
        return response.redirect(safe_next(request.args.get("next")))
    notice = "您已退出登录。" if request.args.get("bye") else ""
    return _login_page(request, notice=notice)


async def login_submit(request: Request):
    sent = request.form.get("login_csrf") or ""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    if not (sent and expected and hmac.compare_digest(sent.encode(), expected.encode())):
        return _login_page(request, error="登录页面已过期，请重新输入。", status=400)
    username = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    ip = client_ip(request)
    delay = await run_db(_address_delay, ip)
    if delay:
        logger.warning("console login slowed down: %s has many failed logins", ip)
        await asyncio.sleep(delay)
    token, message = await run_db(_attempt_login, username, password, ip, request.headers.get("User-Agent", ""))
    if token is None:
        status = 429 if "锁定" in message else 401
        return _login_page(request, error=message, username=username, status=status)
    logger.info("console: %s logged in from %s", username, ip)
    resp = response.redirect(safe_next(request.form.get("next")), status=303)
    set_cookie(request, resp, SESSION_COOKIE, token, int(session_lifetime().total_seconds()))
    set_cookie(request, resp, LOGIN_CSRF_COOKIE, "", 0, path=LOGIN_PATH)
    return resp


def _address_delay(ip: str) -> float:
    with session_scope() as session:
        return address_delay(session=session, ip=ip)


def _attempt_login(username: str, password: str, ip: str, user_agent: str) -> Tuple[Optional[str], str]:
    """(cookie token, "") or (None, the Chinese reason)."""
    try:
        return _login(username, password, ip, user_agent), ""
    except AuthError as exc:
        return None, exc.message


async def logout(request: Request):
    user = await current_user(request)
    if user is not None:
        if not _csrf_ok(request):
            return render.error_page(request, 403, "页面已过期", "安全校验未通过，请刷新页面后再退出。")
        await run_db(_end, request.cookies.get(SESSION_COOKIE))
        logger.info("console: %s logged out", user.username)
    resp = response.redirect(f"{LOGIN_PATH}?bye=1", status=303)
    set_cookie(request, resp, SESSION_COOKIE, "", 0)
    return resp


def _end(token: str) -> None:
    with session_scope() as session:
        end_session(session=session, token=token)


async def console_home(request: Request):
    return response.redirect(HOME_PATH)


STATIC_DIR = Path(__file__).with_name("static")


def add_routes(bp: Blueprint) -> None:
    """Login, logout, /console → call page, and /console/static/… ."""
    bp.add_route(login_page, "console/login", methods=["GET"])
    bounded_route(bp, login_submit, "console/login", methods=["POST"], limit=LOGIN_LIMIT,
                   name="console_login_submit")
    bounded_route(bp, logout, "console/logout", methods=["POST"], limit=LOGIN_LIMIT)
    bp.add_route(console_home, "console", methods=["GET"])
    bp.static("console/static", str(STATIC_DIR), name="console_static")
