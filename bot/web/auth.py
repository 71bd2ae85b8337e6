"""Who is asking: the console's session cookie, CSRF and the `login_required` decorator.

Shared by the hotline and admin consoles (docs/console.md). A session is a random token in an
HttpOnly, SameSite=Strict cookie limited to /console (accounts and sessions: bot.web.accounts;
the log-in pages: bot.web.login). Roles are ordered: staff < admin.
"""
from __future__ import annotations

import asyncio
import functools
import hmac
import logging
from typing import Any, Callable, Optional, Tuple
from urllib.parse import quote

from sanic import response
from sanic.request import Request

from bot.settings import Settings
from bot.web import render
from bot.web.accounts import ROLES, CurrentUser, load_session
from policies_kb.db import session_scope

logger = logging.getLogger(__name__)

SESSION_COOKIE = "zct_session"
LOGIN_CSRF_COOKIE = "zct_login_csrf"
COOKIE_PATH = "/console"
LOGIN_PATH = "/console/login"
HOME_PATH = "/console/call"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


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


def csrf_ok(request: Request) -> bool:
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
    return request.scheme == "https" or Settings.from_env().console_cookie_secure


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
            if request.method not in SAFE_METHODS and not csrf_ok(request):
                logger.warning("console: CSRF check failed for %s %s (%s)", request.method, request.path, user.username)
                if wants_json(request):
                    return render.json({"error": "csrf", "message": "页面已过期，请刷新页面后重试。"}, status=403)
                return render.error_page(request, 403, "页面已过期", "表单已失效（安全校验未通过），请返回并刷新页面后重试。")
            return await handler(request, *args, **kwargs)
        return wrapped
    return decorator
