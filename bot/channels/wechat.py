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
  first attempt's turn is shared (asyncio task in-process, Redis claim across
  processes);
* a passive reply is ONE text of <= 2048 bytes (see wechat_text).
"""
import asyncio
import hmac
import inspect
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Text
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy import create_reply, parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import WeChatSigner

from bot.channels import wechat_menu
from bot.channels.wechat_client import DEFAULT_API_BASE, WeChatAPIError, WeChatClient
from bot.channels.wechat_store import make_store
from bot.channels.wechat_text import is_more_request, pick_option, render_messages, split_reply

logger = logging.getLogger(__name__)

# How long per-user state (numbered options, unread "更多" parts) is kept.
USER_STATE_TTL = 3600
UNSUPPORTED_TYPES = {"image", "video", "shortvideo", "location", "link", "file"}


def _env_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError:
        logger.error("wechat: %s=%r is not a number, using %s", name, raw, default)
        return default


@dataclass
class WeChatSettings:
    token: str = ""
    appid: str = ""
    secret: str = field(default="", repr=False)
    aes_key: str = field(default="", repr=False)
    api_base: str = DEFAULT_API_BASE
    reply_budget: float = 4.0
    replay_window: float = 300.0  # 0 disables the timestamp check
    max_body: int = 64 * 1024
    dedup_store: str = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    require_aes: bool = False  # refuse plaintext POSTs (their body is unsigned)

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "WeChatSettings":
        env = os.environ if env is None else env
        return cls(
            token=env.get("WECHAT_TOKEN", ""),
            appid=env.get("WECHAT_APPID", ""),
            secret=env.get("WECHAT_SECRET", ""),
            aes_key=env.get("WECHAT_AES_KEY", ""),
            api_base=env.get("WECHAT_API_BASE") or DEFAULT_API_BASE,
            reply_budget=_env_float(env, "WECHAT_REPLY_BUDGET", 4.0),
            replay_window=_env_float(env, "WECHAT_REPLAY_WINDOW", 300.0),
            max_body=int(_env_float(env, "WECHAT_MAX_BODY", 64 * 1024)),
            dedup_store=(env.get("WECHAT_DEDUP_STORE") or "memory").lower(),
            redis_url=env.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
            require_aes=env.get("WECHAT_REQUIRE_AES", "").lower() in ("1", "true", "yes"),
        )


class Reject(Exception):
    """A request we refuse before the bot sees it."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class Incoming:
    msg: Any  # a wechatpy message or event
    root: Element  # the same message as a (defused) XML tree, for raw fields
    encrypted: bool
    nonce: str


@dataclass
class _Turn:
    """One user message being answered; shared by WeChat's retries."""

    key: str
    task: "asyncio.Task[str]"
    openid: str
    push: bool = False  # answer goes out via the customer-service API instead


class WeChatOutput(CollectingOutputChannel):
    """Collects the bot's messages of one turn (rendered later as one reply)."""

    @classmethod
    def name(cls) -> Text:
        return "wechat"  # lets domain responses use `channel: wechat` variants


def _signature(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def _same(expected: str, given: str) -> bool:
    # wechatpy's check_signature compares with `!=`; we sign with wechatpy's
    # signer but compare in constant time so the signature can't be guessed
    # byte by byte from response timings.
    return hmac.compare_digest(expected.encode(), (given or "").encode())


def _parse_safe(data: bytes) -> Element:
    """Parse untrusted XML, refusing DTDs and entities (XXE, billion laughs)."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException:
        raise Reject(400, "XML with DOCTYPE/ENTITY refused")
    except (ParseError, ValueError, UnicodeError):
        raise Reject(400, "malformed XML")
    if root.tag != "xml":
        raise Reject(400, "root element is not <xml>")
    return root


def _mask(openid: str) -> str:
    return openid[:6] + "…" if len(openid) > 6 else openid


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
        self.client: Optional[WeChatClient] = None
        if s.appid and s.secret:
            self.client = WeChatClient(s.appid, s.secret, s.api_base)
        elif s.token:
            logger.warning("wechat: WECHAT_APPID/WECHAT_SECRET not set - late answers cannot be delivered")
        self.store = make_store(s.dedup_store, s.redis_url)
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
        self._turns: Dict[str, _Turn] = {}
        self._background: set = set()  # strong refs to fire-and-forget tasks
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
                self._check_query(request)
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
                incoming = await self._read(request)
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

    # -- validation -----------------------------------------------------------

    def _check_query(self, request: Request) -> None:
        """signature/timestamp/nonce: present, fresh, and signed with our token."""
        args = request.args
        signature, timestamp, nonce = (args.get(k) for k in ("signature", "timestamp", "nonce"))
        if not (signature and timestamp and nonce):
            raise Reject(400, "missing signature, timestamp or nonce")
        try:
            sent_at = int(timestamp)
        except ValueError:
            raise Reject(400, "bad timestamp")
        window = self.settings.replay_window
        if window > 0 and abs(time.time() - sent_at) > window:
            raise Reject(403, "timestamp outside the replay window")
        if not _same(_signature(self.settings.token, timestamp, nonce), signature):
            raise Reject(403, "bad signature")

    async def _read_body(self, request: Request) -> bytes:
        limit = self.settings.max_body
        try:
            declared = int(request.headers.get("content-length") or 0)
        except ValueError:
            raise Reject(400, "bad Content-Length")
        if declared > limit:
            raise Reject(413, "body too large")
        try:
            await request.receive_body()
        except PayloadTooLarge:
            raise Reject(413, "body too large")
        body = request.body or b""
        if len(body) > limit:
            raise Reject(413, "body too large")
        return body

    async def _read(self, request: Request) -> Incoming:
        self._check_query(request)
        args = request.args
        mode = (args.get("encrypt_type") or "raw").lower()
        if mode not in ("raw", "aes"):
            raise Reject(400, "unknown encrypt_type")
        if mode == "raw" and self.settings.require_aes:
            raise Reject(403, "plaintext message refused (WECHAT_REQUIRE_AES)")
        body = await self._read_body(request)
        root = _parse_safe(body)
        xml = body
        if mode == "aes":  # 安全模式 and 兼容模式: only trust the encrypted part
            if self.crypto is None:
                logger.error("wechat: encrypted message but WECHAT_AES_KEY is not configured/usable")
                raise Reject(503, "encryption not configured")
            msg_signature = args.get("msg_signature")
            encrypt = root.findtext("Encrypt")
            if not msg_signature or not encrypt:
                raise Reject(400, "missing msg_signature or Encrypt")
            expected = _signature(self.settings.token, args.get("timestamp"), args.get("nonce"), encrypt)
            if not _same(expected, msg_signature):
                raise Reject(403, "bad msg_signature")
            try:
                plain = self.crypto.decrypt_message(
                    {"Encrypt": encrypt}, msg_signature, args.get("timestamp"), args.get("nonce")
                )
            except InvalidAppIdException:
                raise Reject(403, "message is for another AppID")
            except InvalidSignatureException:
                raise Reject(403, "bad msg_signature")
            except Exception:  # noqa: BLE001 - bad base64/padding/length/utf-8
                raise Reject(400, "cannot decrypt message")
            xml = plain.encode("utf-8")
            root = _parse_safe(xml)
        for name in ("ToUserName", "FromUserName", "MsgType"):
            if not (root.findtext(name) or "").strip():
                raise Reject(400, f"missing {name}")
        try:
            msg = parse_message(xml)
        except Exception:  # noqa: BLE001
            raise Reject(400, "unparsable message")
        return Incoming(msg=msg, root=root, encrypted=(mode == "aes"), nonce=args.get("nonce"))

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
        if not msg_id:  # shouldn't happen for real messages; fall back like events
            msg_id = f"t:{root.findtext('CreateTime')}"
        dedup_key = f"{openid}:{msg_id}"
        return await self._dedup_turn(
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
        except Exception:  # noqa: BLE001
            logger.exception("wechat: the bot failed on a message from %s", _mask(openid))
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

    # -- retries & the 5-second rule -------------------------------------------

    async def _dedup_turn(
        self, key: str, openid: str, run: Callable[[], Awaitable[str]], deadline: float
    ) -> str:
        turn = self._turns.get(key)
        if turn is None:
            if not await self.store.claim(key, self.dedup_ttl):
                # Another process (Redis mode) is answering this message.
                return await self._poll_result(key, deadline)
            task = asyncio.ensure_future(self._run_turn(key, run))
            turn = _Turn(key=key, task=task, openid=openid)
            self._turns[key] = turn
            asyncio.get_running_loop().call_later(self.dedup_ttl, self._turns.pop, key, None)
        return await self._wait_turn(turn, deadline)

    async def _run_turn(self, key: str, run: Callable[[], Awaitable[str]]) -> str:
        try:
            reply = await run()
        except Exception:  # noqa: BLE001
            logger.exception("wechat: turn failed")
            reply = self.texts["error"]
        turn = self._turns.get(key)
        pushed = bool(turn and turn.push)
        try:
            await self.store.set_json(
                f"result:{key}", {"pushed": True} if pushed else {"reply": reply}, self.dedup_ttl
            )
        except Exception:  # noqa: BLE001
            logger.exception("wechat: could not store the answer for retries")
        if pushed and turn is not None:
            self._spawn(self._push(turn.openid, reply))
        return reply

    async def _wait_turn(self, turn: _Turn, deadline: float) -> str:
        if turn.push:
            return ""
        if not turn.task.done() and deadline <= time.monotonic():
            self._delegate(turn)  # budget already spent (parsing, Redis): don't wait at all
            return ""
        try:
            # asyncio.wait doesn't cancel the turn on timeout: it goes on and
            # its answer is pushed instead.
            await asyncio.wait({turn.task}, timeout=max(0.0, deadline - time.monotonic()))
        except asyncio.CancelledError:  # WeChat hung up: still deliver the answer
            self._delegate(turn)
            raise
        if turn.task.done() and not turn.push and not turn.task.cancelled():
            return turn.task.result()
        self._delegate(turn)
        return ""

    def _delegate(self, turn: _Turn) -> None:
        """From now on this turn's answer goes out via the customer-service API,
        and every attempt (this one and later retries) answers "success"."""
        if turn.push:
            return
        turn.push = True
        logger.info("wechat: answer for %s exceeds the reply budget, will push it", _mask(turn.openid))
        self._spawn(self.store.set_json(f"result:{turn.key}", {"pushed": True}, self.dedup_ttl))
        if turn.task.done() and not turn.task.cancelled():
            # _run_turn has finished already, so nobody else will push it.
            self._spawn(self._push(turn.openid, turn.task.result()))

    async def _poll_result(self, key: str, deadline: float) -> str:
        while True:
            result = await self.store.get_json(f"result:{key}")
            if result is not None:
                return "" if result.get("pushed") else str(result.get("reply") or "")
            if time.monotonic() >= deadline:
                # The claiming process still works on it and will answer
                # (passively or by pushing); we must not run the bot too.
                return ""
            await asyncio.sleep(min(0.05, max(0.0, deadline - time.monotonic())))

    async def _push(self, openid: str, text: str) -> None:
        if not text:
            return
        if self.client is None:
            logger.error("wechat: late answer for %s dropped: WECHAT_APPID/WECHAT_SECRET not set", _mask(openid))
            return
        try:
            await self.client.send_text(openid, text)
            logger.info("wechat: late answer delivered to %s via customer-service API", _mask(openid))
        except WeChatAPIError as exc:
            logger.error("wechat: could not deliver late answer to %s: %s", _mask(openid), exc)
        except Exception as exc:  # noqa: BLE001 - network errors etc.
            logger.error("wechat: could not deliver late answer to %s: %r", _mask(openid), exc)

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- rendering ------------------------------------------------------------

    def _render(self, reply: str, incoming: Incoming) -> HTTPResponse:
        if not reply:
            return response.text("success")
        xml = create_reply(reply, message=incoming.msg, render=True)
        if incoming.encrypted and self.crypto is not None:
            xml = self.crypto.encrypt_message(xml, incoming.nonce)
        return response.text(xml, content_type="application/xml; charset=utf-8")
