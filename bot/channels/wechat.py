"""WeChat official account (微信公众号) input channel for 政策通.

credentials.yml:

    bot.channels.wechat.WeChatInput:

Everything else comes from the environment (see WeChatSettings / docs/wechat.md),
so no secret ever sits in a file. The webhook is /webhooks/wechat/webhook.

WeChat's rules shape this module:
* it waits at most 5 s for an answer, then retries (3 tries in all), so the
  bot gets a time budget (WECHAT_REPLY_BUDGET); a slower answer is sent later
  through the customer-service API and WeChat gets "success" at once;
* retries carry the same MsgId, and a retry must never run the bot again: the
  first attempt's turn is shared (wechat_turns, with the state in wechat_store);
* a passive reply is ONE text of <= 2048 bytes (see wechat_text);
* a message over ZCT_MAX_MESSAGE_CHARS is answered at once without NLU.

Requests are checked in wechat_inbound, replies built in wechat_reply.
"""
import inspect
import logging
import time
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy.crypto import WeChatCrypto

from bot.channels import wechat_menu
from bot.channels.wechat_client import WeChatClient, shared_client
from bot.channels.wechat_inbound import Incoming, Reject, check_query, read_incoming, url_memory_ttl
from bot.channels.wechat_reply import encrypted, text_reply_xml
from bot.channels.wechat_settings import WeChatSettings
from bot.channels.wechat_store import make_store
from bot.channels.wechat_text import is_more_request, pick_option, render_messages, split_reply
from bot.channels.wechat_turns import Turns, mask_openid
from bot.limits import STORE_UNAVAILABLE_REPLY, too_long_reply
from bot.rasa.privacy import mask_pii
from bot.rasa.guards import ConversationStoreUnavailable

logger = logging.getLogger(__name__)

# How long per-user state (numbered options, unread "更多" parts) is kept.
USER_STATE_TTL = 3600
UNSUPPORTED_TYPES = {"image", "video", "shortvideo", "location", "link", "file"}


class WeChatOutput(CollectingOutputChannel):
    """Collects the bot's messages of one turn (rendered later as one reply)."""

    @classmethod
    def name(cls) -> Text:
        return "wechat"  # lets domain responses use `channel: wechat` variants


def _excerpt(text: str, chars: int = 40) -> str:
    """The start of an owner's text, safe for a log line (masked before the
    cut, so a number at the cut is still recognised)."""
    return mask_pii(text[: chars + 24])[:chars] + ("…" if len(text) > chars else "")


class WeChatInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        if credentials:
            logger.warning(
                "wechat: settings in credentials.yml are ignored; use the WECHAT_* environment variables"
            )
        return cls(WeChatSettings.from_env())

    def __init__(self, settings: Optional[WeChatSettings] = None) -> None:
        self.settings = settings or WeChatSettings.from_env()
        s = self.settings
        self.crypto: Optional[WeChatCrypto] = None
        if not s.token:
            logger.error(
                "wechat: WECHAT_TOKEN is not set - /webhooks/wechat/webhook will answer 503; "
                "other channels are unaffected"
            )
        elif s.aes_key:
            try:
                if not s.appid:
                    raise ValueError("WECHAT_APPID is required with WECHAT_AES_KEY")
                self.crypto = WeChatCrypto(s.token, s.aes_key, s.appid)
            except Exception as exc:  # noqa: BLE001 - wechatpy asserts on key length
                logger.error("wechat: WECHAT_AES_KEY unusable (%s); encrypted messages get 503", str(exc) or "bad key")
        # The same client (and access_token) as the hotline's handoff replies: see wechat_client.
        self.client: Optional[WeChatClient] = shared_client({
            "WECHAT_APPID": s.appid, "WECHAT_SECRET": s.secret, "WECHAT_API_BASE": s.api_base,
            "WECHAT_DEDUP_STORE": s.dedup_store, "REDIS_URL": s.redis_url})
        if self.client is None and s.token:
            logger.warning("wechat: WECHAT_APPID/WECHAT_SECRET not set - late answers cannot be delivered")
        self.store = make_store(
            s.dedup_store, redis_url=s.redis_url, state_db=s.state_db, production=s.production
        )
        try:
            config = wechat_menu.load_config()
        except ValueError as exc:
            logger.error("wechat: %s; using default texts and no menu actions", exc)
            config = {}
        self.texts = wechat_menu.texts(config)
        self.clicks = wechat_menu.click_actions(config)
        # A retry may come as long as the timestamp is acceptable, so remember
        # answers at least that long.
        self.dedup_ttl = max(s.replay_window, 60.0) + 60.0
        self.url_ttl = url_memory_ttl(s, self.dedup_ttl)
        self.turns = Turns(self.store, self.dedup_ttl, self.client, self.texts["error"])
        self._last_503_log = 0.0

    # -- Sanic ----------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        module = inspect.getmodule(self)
        bp = Blueprint("wechat_webhook", module.__name__ if module else None)

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json(
                {
                    "status": "ok",
                    "configured": bool(self.settings.token),
                    "encryption": self.crypto is not None,
                    "dedup_store": self.store.name,
                }
            )

        @bp.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            if not self.settings.token:
                return self._unconfigured()
            try:
                check_query(request, self.settings)
            except Reject as rej:
                return self._refuse(request, rej)
            return response.text(request.args.get("echostr") or "")

        # stream=True: we read the body ourselves so an oversized one is cut
        # off at WECHAT_MAX_BODY instead of being buffered first.
        @bp.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            deadline = time.monotonic() + self.settings.reply_budget
            if request.stream is not None:
                # Also caps chunked bodies, and what Sanic drains from a
                # request we refuse before reading it (bad signature, 503).
                request.stream.request_max_size = self.settings.max_body
            if not self.settings.token:
                return self._unconfigured()
            try:
                incoming = await read_incoming(request, self.settings, self.crypto, self.store, self.url_ttl)
            except Reject as rej:
                return self._refuse(request, rej)
            try:
                reply = await self._answer(incoming, on_new_message, deadline)
                return self._render(reply, incoming)
            except Exception:  # noqa: BLE001 - WeChat must never see a 500
                logger.exception("wechat: failed to answer a message")
                return response.text("success")

        return bp

    def _unconfigured(self) -> HTTPResponse:
        if time.monotonic() - self._last_503_log > 60:
            logger.error("wechat: request refused with 503 because WECHAT_TOKEN is not set")
            self._last_503_log = time.monotonic()
        return response.text("wechat channel not configured", status=503)

    @staticmethod
    def _refuse(request: Request, rej: Reject) -> HTTPResponse:
        logger.warning("wechat: refused request from %s: %s (%s)", request.ip, rej.reason, rej.status)
        return response.text(rej.reason, status=rej.status)

    # -- answering ------------------------------------------------------------

    async def _answer(self, incoming: Incoming, on_new_message: Callable, deadline: float) -> str:
        """The reply text for this message ("" = nothing, answer "success")."""
        msg, root = incoming.msg, incoming.root
        openid = msg.source
        kind = (root.findtext("MsgType") or "").strip().lower()
        msg_id = (root.findtext("MsgId") or "").strip()
        meta = {"wechat": {"msg_type": kind, "msg_id": msg_id or None}}

        if kind == "text":
            text = (msg.content or "").strip()
        elif kind == "voice":
            text = (root.findtext("Recognition") or "").strip()
            if not text:
                return self.texts["voice_unrecognized"]
        elif kind == "event":
            event = (root.findtext("Event") or "").strip().lower()
            meta["wechat"]["event"] = event
            if event == "subscribe":  # also covers "subscribe via QR code"
                return self.texts["welcome"]
            if event != "click":
                return ""  # unsubscribe, VIEW, SCAN, LOCATION, ...: nothing to say
            key = (root.findtext("EventKey") or "").strip()
            meta["wechat"]["event_key"] = key
            action = self.clicks.get(key, {})
            if "reply" in action:
                return action["reply"]
            if "intent" not in action:
                logger.warning("wechat: click on unknown menu key %r", key)
                return self.texts["unknown_menu"]
            text = action["intent"]
            # Events carry no MsgId; WeChat de-duplicates them by sender + time.
            msg_id = f"evt:{root.findtext('CreateTime')}:{key}"
        else:  # image, video, location, link, file, and types we don't know
            return self.texts["unsupported"]

        if not text:
            return self.texts["unsupported"]
        limit = self.settings.max_message_chars
        if len(text) > limit:
            # Never reaches NLU: one such text costs it tens of seconds and
            # gigabytes and stalls every other owner's turn meanwhile.
            logger.warning(
                "wechat: %d-character message from %s answered without the bot: %s",
                len(text), mask_openid(openid), _excerpt(text),
            )
            return too_long_reply(limit)
        if not msg_id:  # shouldn't happen for real messages; fall back like events
            msg_id = f"t:{root.findtext('CreateTime')}"
        dedup_key = f"{openid}:{msg_id}"
        return await self.turns.answer(
            dedup_key, openid, lambda: self._bot_turn(openid, text, meta, on_new_message), deadline
        )

    async def _bot_turn(self, openid: str, text: str, meta: Dict, on_new_message: Callable) -> str:
        """Run the bot once and shape its answer for WeChat."""
        store = self.store
        if is_more_request(text):
            parts = await store.get_json(f"more:{openid}")
            if parts:
                if parts[1:]:
                    await store.set_json(f"more:{openid}", parts[1:], USER_STATE_TTL)
                else:
                    await store.delete(f"more:{openid}")
                return parts[0]
        chosen = pick_option(text, await store.get_json(f"options:{openid}"))
        if chosen is not None:
            meta["wechat"]["option"] = text
            text = chosen

        collector = WeChatOutput()
        try:
            await on_new_message(
                UserMessage(text, collector, openid, input_channel=self.name(), metadata=meta)
            )
        except ConversationStoreUnavailable as exc:  # never answer from a forgotten profile
            logger.error("wechat: conversation store unavailable for %s: %s", mask_openid(openid), exc)
            return STORE_UNAVAILABLE_REPLY
        except Exception:  # noqa: BLE001
            logger.exception("wechat: the bot failed on a message from %s: %s", mask_openid(openid), _excerpt(text))
            return self.texts["error"]

        reply, options = render_messages(collector.messages)
        if options:
            await store.set_json(f"options:{openid}", options, USER_STATE_TTL)
        else:  # a stale "2" must not pick an option from an older answer
            await store.delete(f"options:{openid}")
        parts = split_reply(reply)
        if len(parts) > 1:
            await store.set_json(f"more:{openid}", parts[1:], USER_STATE_TTL)
        else:
            await store.delete(f"more:{openid}")
        return parts[0] if parts else ""

    # -- rendering ------------------------------------------------------------

    def _render(self, reply: str, incoming: Incoming) -> HTTPResponse:
        if not reply:
            return response.text("success")
        msg = incoming.msg
        xml = text_reply_xml(to_user=msg.source, from_user=msg.target, content=reply)
        if incoming.encrypted and self.crypto is not None:
            xml = encrypted(xml, self.crypto)
        return response.text(xml, content_type="application/xml; charset=utf-8")
