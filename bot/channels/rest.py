"""REST channel for `make shell`, tests and trusted integrations (Rasa's RestInput, hardened).

credentials.yml: `bot.channels.rest.OwnerRestInput:` (replaces `rest:`; same URL,
POST /webhooks/rest/webhook with {"sender": …, "message": …}).

What differs from Rasa's RestInput:
* a REST sender lives in its own namespace (`rest:<sender>`), and the input channel and
  metadata cannot be chosen by the client, so a REST call can never speak as a WeChat owner
  (whose conversation id is the bare OpenID) nor read that owner's profile;
* in production (`ZCT_ENV=production`) the channel is off unless `ZCT_REST_TOKEN` is set, and
  then every call needs `Authorization: Bearer <token>`;
* a message over the length cap gets a polite reply without reaching NLU, an oversized body a
  readable 413, and a failing conversation store a clear refusal instead of `[]`.
"""
from __future__ import annotations

import hmac
import json
import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import limits
from bot.rasa.guards import ConversationStoreUnavailable
from bot.settings import Settings

logger = logging.getLogger(__name__)

SENDER_PREFIX = "rest:"
MAX_SENDER_CHARS = 128
# A body this big is refused before parsing; below it, an over-long message still gets the
# polite reply (50,000 characters as JSON \\u escapes are 300 KB).
MAX_BODY_BYTES = 1024 * 1024


def conversation_id(sender: Text) -> Text:
    """The tracker id of a REST sender."""
    return SENDER_PREFIX + sender


def _error(status: int, error: str, message: str) -> HTTPResponse:
    return response.json({"error": error, "message": message}, status=status,
                         dumps=lambda d: json.dumps(d, ensure_ascii=False))


def _reply(sender: Text, text: Text) -> HTTPResponse:
    return response.json([{"recipient_id": sender, "text": text}], dumps=lambda d: json.dumps(d, ensure_ascii=False))


class OwnerRestInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "OwnerRestInput":
        return cls(Settings.from_env(), limits.max_message_chars())

    def __init__(self, settings: Optional[Settings] = None, max_chars: Optional[int] = None) -> None:
        self.settings = settings or Settings.from_env()
        self.max_chars = max_chars or limits.max_message_chars()

    def _refusal(self, request: Request) -> Optional[HTTPResponse]:
        """Why this request may not talk to the bot, as the response to send; None if it may."""
        token = self.settings.rest_token
        if self.settings.production and not token:
            return _error(403, "channel_disabled", "生产环境未开启 REST 通道（设置 ZCT_REST_TOKEN 才能使用）")
        if token:
            given = request.headers.get("authorization", "")
            expected = f"Bearer {token}"
            if not hmac.compare_digest(given.encode(), expected.encode()):
                return _error(401, "unauthorized", "需要 Authorization: Bearer <ZCT_REST_TOKEN>")
        if len(request.body or b"") > MAX_BODY_BYTES:
            return _error(413, "payload_too_large", f"请求体超过 {MAX_BODY_BYTES // 1024} KB")
        return None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("zct_rest_webhook")

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refusal = self._refusal(request)
            if refusal is not None:
                return refusal
            try:
                body = json.loads(request.body or b"")
            except (ValueError, UnicodeDecodeError):
                return _error(400, "invalid_json", "请求体不是合法的 JSON")
            sender, text = (body.get("sender"), body.get("message")) if isinstance(body, dict) else (None, None)
            if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
                return _error(400, "invalid_sender", f"sender 应为 1–{MAX_SENDER_CHARS} 个字符的字符串")
            if not isinstance(text, str):
                return _error(400, "invalid_message", "message 应为字符串")
            if len(text) > self.max_chars:
                logger.info("rest: message of %d characters from %s refused (cap %d)", len(text), sender, self.max_chars)
                return _reply(sender, limits.too_long_reply(self.max_chars))
            collector = CollectingOutputChannel()
            message = UserMessage(text, collector, conversation_id(sender), input_channel=self.name())
            try:
                await on_new_message(message)
            except ConversationStoreUnavailable as exc:
                logger.error("rest: conversation store unavailable for %s: %s", sender, exc)
                return _reply(sender, limits.STORE_UNAVAILABLE_REPLY)
            except Exception:
                logger.exception("rest: turn failed for %s", sender)
                return _reply(sender, limits.INTERNAL_ERROR_REPLY)
            # The client knows its sender by the name it gave, not by our namespace.
            return response.json([{**m, "recipient_id": sender} for m in collector.messages],
                                 dumps=lambda d: json.dumps(d, ensure_ascii=False))

        return bp
