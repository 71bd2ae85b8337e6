"""The console's log-in and log-out pages, /console → the call page, and its static files."""
from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
from pathlib import Path
from typing import Optional, Tuple

from sanic import Blueprint, response
from sanic.request import Request

from bot.web import render
from bot.web.accounts import AuthError, authenticate, end_session, session_lifetime, start_session
from bot.web.auth import (HOME_PATH, LOGIN_CSRF_COOKIE, LOGIN_PATH, SESSION_COOKIE, client_ip, csrf_ok,
                          current_user, run_db, safe_next, set_cookie)
from bot.web.body import LOGIN_LIMIT, add_route as bounded_route
from bot.web.lockout import address_delay
from policies_kb.db import session_scope

logger = logging.getLogger(__name__)


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
        if not csrf_ok(request):
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
