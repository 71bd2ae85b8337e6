"""JSON API next to the bot's HTTP API: POST /api/match."""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging

from sanic import Blueprint, response
from sanic.request import Request

from bot.web.body import JSON_LIMIT, BadBody, bounded, json_error, parse_json
from policies_kb.matcher import match
from policies_kb.profile import ProfileError

logger = logging.getLogger(__name__)


def _bad(field: str, message: str):
    return response.json({"error": "invalid_request", "field": field, "message": message}, status=400,
                         dumps=lambda d: json.dumps(d, ensure_ascii=False))


async def api_match(request: Request):
    """Body: {"profile": {...}, "as_of": "YYYY-MM-DD"?, "families": [...]?} or the profile itself."""
    try:
        body = parse_json(request.body)
    except BadBody as exc:
        return _bad(exc.field, exc.message)
    if not isinstance(body, dict):
        return _bad("body", "请求体应为 JSON 对象")
    profile = body.get("profile", body if "as_of" not in body and "families" not in body else {})
    as_of = None
    if body.get("as_of"):
        try:
            as_of = dt.date.fromisoformat(str(body["as_of"]))
        except ValueError:
            return _bad("as_of", f"日期格式应为 YYYY-MM-DD，收到“{body['as_of']}”")
    families = body.get("families")
    if families is not None and not (isinstance(families, list) and all(isinstance(f, str) for f in families)):
        return _bad("families", "families 应为类别名列表")
    try:
        # The matcher reads SQLite/PostgreSQL synchronously: keep Sanic's loop free.
        report = await asyncio.get_running_loop().run_in_executor(None, match, profile, as_of)
    except ProfileError as exc:
        return response.json({"error": "invalid_profile", "field": exc.field, "message": exc.message}, status=400,
                             dumps=lambda d: json.dumps(d, ensure_ascii=False))
    return response.json(report.to_dict(families), dumps=lambda d: json.dumps(d, ensure_ascii=False, default=str))


def add_routes(bp: Blueprint) -> None:
    bp.add_route(bounded(JSON_LIMIT, json_error)(api_match), "api/match", methods=["POST"], stream=True)
