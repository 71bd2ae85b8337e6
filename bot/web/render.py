"""Server-rendered console pages: one Jinja2 environment over bot/web/templates (autoescape on).

Every page gets `user`, `csrf_token` and `nav` in its context and the same security headers
(no caching of pages that show owners' data, no framing, scripts only from /console/static).
"""
from __future__ import annotations

import json as _json
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import response
from sanic.request import Request

TEMPLATE_DIR = Path(__file__).with_name("templates")

# Inline <script> and on*="" attributes are refused by this policy: put JS in bot/web/static/.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

# (path, label, minimum role). Admin entries only appear for admins.
NAV = [
    ("/console/call", "呼叫助手", "staff"),
    ("/console/handoff", "转人工队列", "staff"),
    ("/console/tickets", "工单", "staff"),
    ("/console/admin/policies", "政策管理", "admin"),
    ("/console/admin/analytics", "需求分析", "admin"),
]


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)),
                      autoescape=select_autoescape(["html", "xml"], default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    return env


def nav(request: Request) -> List[Dict[str, Any]]:
    user = getattr(request.ctx, "user", None)
    if user is None:
        return []
    return [{"href": href, "label": label, "active": request.path.startswith(href)}
            for href, label, role in NAV if user.has_role(role)]


def render_string(request: Request, template_name: str, **context: Any) -> str:
    """The rendered template as text (for HTML fragments returned inside JSON)."""
    base = {"user": getattr(request.ctx, "user", None), "csrf_token": getattr(request.ctx, "csrf_token", "") or "",
            "nav": nav(request), "request_path": request.path}
    base.update(context)
    return environment().get_template(template_name).render(**base)


def render(request: Request, template_name: str, status: int = 200, **context: Any) -> response.HTTPResponse:
    return response.html(render_string(request, template_name, **context), status=status,
                         headers=dict(SECURITY_HEADERS))


def error_page(request: Request, status: int, title: str, message: str) -> response.HTTPResponse:
    return render(request, "error.html", status=status, title=title, message=message)


def json(data: Any, status: int = 200, **headers: str) -> response.HTTPResponse:
    """JSON with Chinese left readable and the console's security headers."""
    return response.json(data, status=status, headers={**SECURITY_HEADERS, **headers},
                         dumps=lambda d: _json.dumps(d, ensure_ascii=False, default=str))
