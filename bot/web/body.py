"""Request bodies under our own limits: a size cap read as a stream, and strict JSON.

Sanic's own cap (REQUEST_MAX_SIZE, 100 MB) is the Rasa server's, sized for model uploads; our
routes are registered with `stream=True` and read at most their own limit (a Content-Length
above it is refused before a byte of body is read). JSON is parsed strictly: no NaN/Infinity
(Python's json accepts them and would echo them back as invalid JSON), no floats that
overflow to infinity, and a nesting limit checked before parsing (deep nesting ends in
RecursionError, a 500).
"""
from __future__ import annotations

import functools
import json
import math
from typing import Any, Callable

from sanic import response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request

FORM_LIMIT = 1024 * 1024  # console forms (the policy editor is the largest, a few KB)
JSON_LIMIT = 64 * 1024  # a profile is well under 2 KB
LOGIN_LIMIT = 16 * 1024
MAX_JSON_DEPTH = 20


class BadBody(ValueError):
    """A body we refuse: HTTP 400 with `field` and a Chinese `message`."""

    def __init__(self, message: str, field: str = "body", status: int = 400):
        super().__init__(message)
        self.field, self.message, self.status = field, message, status


def _size(limit: int) -> str:
    return f"{limit // 1024} KB" if limit < 1024 * 1024 else f"{limit // (1024 * 1024)} MB"


def too_large_message(limit: int) -> str:
    return f"请求内容超过 {_size(limit)} 的上限"


async def read_body(request: Request, limit: int) -> None:
    """Fill request.body from the stream, refusing (BadBody 413) past `limit` bytes."""
    if request.stream is None or request.body:
        return
    request.stream.request_max_size = limit
    try:
        await request.receive_body()
    except PayloadTooLarge:
        raise BadBody(too_large_message(limit), status=413) from None


def bounded(limit: int, on_error: Callable[[Request, BadBody], Any]) -> Callable:
    """Decorator for a handler registered with stream=True: the body is read (at most
    `limit` bytes) before the handler — and before login_required reads the form."""

    def decorator(handler: Callable) -> Callable:
        @functools.wraps(handler)
        async def wrapped(request: Request, *args: Any, **kwargs: Any):
            try:
                await read_body(request, limit)
            except BadBody as exc:
                return on_error(request, exc)
            return await handler(request, *args, **kwargs)
        return wrapped
    return decorator


def json_error(request: Request, exc: BadBody):
    return response.json({"error": "invalid_request", "field": exc.field, "message": exc.message},
                         status=exc.status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


def page_error(request: Request, exc: BadBody):
    from bot.web import render  # render's templates are not needed by the JSON API

    return render.error_page(request, exc.status, "提交的内容过大" if exc.status == 413 else "请求有误", exc.message)


def add_route(bp: Any, handler: Callable, uri: str, *, methods: list, limit: int = FORM_LIMIT,
              on_error: Callable[[Request, BadBody], Any] = page_error, **kwargs: Any) -> None:
    """bp.add_route with the body read under `limit` (see `bounded`)."""
    if methods == ["GET"]:
        bp.add_route(handler, uri, methods=methods, **kwargs)
        return
    bp.add_route(bounded(limit, on_error)(handler), uri, methods=methods, stream=True, **kwargs)


def _depth(text: str) -> int:
    """Deepest bracket nesting outside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _no_constant(name: str) -> Any:
    raise BadBody(f"JSON 中不允许 {name}（不是合法的 JSON 数值）")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadBody(f"数值 {text[:20]} 超出范围")
    return value


def parse_json(raw: bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Strict JSON of a request body (empty → {}); BadBody names what is wrong."""
    try:
        text = (raw or b"{}").decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody("请求体不是 UTF-8 编码的 JSON") from None
    if _depth(text) > max_depth:
        raise BadBody(f"JSON 嵌套超过 {max_depth} 层")
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except BadBody:
        raise
    except (ValueError, RecursionError):
        raise BadBody("请求体不是合法的 JSON") from None
