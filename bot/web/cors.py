"""Cross-origin policy of our routes (console pages, console JSON, /api/match).

The console is used from its own origin only, which needs no CORS headers at all. Rasa's
`--cors` option installs sanic-cors on the whole app and, because Rasa also sets
CORS_SUPPORTS_CREDENTIALS, answers any listed Origin with that origin and
`Access-Control-Allow-Credentials: true`. Our blueprint's response middleware runs after
sanic-cors (named middleware come last in Sanic 21.12), so it removes whatever CORS headers
were added and grants only origins listed in ZCT_CORS_ORIGINS (comma separated, default none),
never with credentials: the session cookie is SameSite=Strict anyway.
"""
from __future__ import annotations

from typing import FrozenSet

from sanic import response
from sanic.request import Request

from bot.settings import Settings

_HEADERS = ("Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods",
            "Access-Control-Allow-Headers", "Access-Control-Expose-Headers", "Access-Control-Max-Age")


def allowed_origins() -> FrozenSet[str]:
    """ZCT_CORS_ORIGINS as a set of exact origins ("https://a.example,https://b.example")."""
    return Settings.from_env().cors_origins


def _allowed(request: Request) -> str:
    origin = (request.headers.get("Origin") or "").strip()
    return origin if origin in allowed_origins() else ""


async def restrict(request: Request, resp) -> None:
    """Response middleware of our blueprint."""
    if resp is None:
        return
    for name in _HEADERS:
        resp.headers.popall(name, None)
    origin = _allowed(request)
    if not origin:
        return
    resp.headers["Access-Control-Allow-Origin"] = origin
    if "origin" not in (resp.headers.get("Vary") or "").lower():
        resp.headers.add("Vary", "Origin")
    if request.method == "OPTIONS":  # a preflight (ours, or answered by sanic-cors)
        resp.headers["Access-Control-Allow-Methods"] = "POST"
        resp.headers["Access-Control-Allow-Headers"] = "Content-Type"
        resp.headers["Access-Control-Max-Age"] = "600"


async def preflight(request: Request):
    """OPTIONS for the public JSON API; `restrict` adds the headers for allowed origins."""
    return response.empty(status=204)
