"""Checking and reading one request from WeChat's servers, before the bot
sees anything: signature, timestamp, one use per signed URL, encryption mode,
body size, safe XML parsing and decryption."""
import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any, Optional
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import WeChatSigner

from bot.channels.wechat_settings import WeChatSettings


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


def signature(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def same(expected: str, given: str) -> bool:
    # wechatpy's check_signature compares with `!=`; we sign with wechatpy's
    # signer but compare in constant time so the signature can't be guessed
    # byte by byte from response timings.
    return hmac.compare_digest(expected.encode(), (given or "").encode())


def parse_safe(data: bytes) -> Element:
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


def check_query(request: Request, settings: WeChatSettings) -> None:
    """signature/timestamp/nonce: present, fresh, and signed with our token."""
    args = request.args
    sig, timestamp, nonce = (args.get(k) for k in ("signature", "timestamp", "nonce"))
    if not (sig and timestamp and nonce):
        raise Reject(400, "missing signature, timestamp or nonce")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise Reject(400, "bad timestamp")
    window = settings.replay_window
    if window > 0 and abs(time.time() - sent_at) > window:
        raise Reject(403, "timestamp outside the replay window")
    if not same(signature(settings.token, timestamp, nonce), sig):
        raise Reject(403, "bad signature")


# A client that sends its whole body before reading (most HTTP libraries) sees a connection
# reset, not our 413, when the server closes with the body unread; up to this size Sanic drains
# the rest after the 413 so the client can read it.
DRAIN_MAX = 1024 * 1024


async def read_body(request: Request, limit: int) -> bytes:
    try:
        declared = int(request.headers.get("content-length") or 0)
    except ValueError:
        raise Reject(400, "bad Content-Length")
    if declared > limit:
        if request.stream is not None and declared <= DRAIN_MAX:
            request.stream.request_max_size = DRAIN_MAX
        raise Reject(413, "body too large")
    try:
        await request.receive_body()
    except PayloadTooLarge:
        raise Reject(413, "body too large")
    body = request.body or b""
    if len(body) > limit:
        raise Reject(413, "body too large")
    return body


def url_memory_ttl(settings: WeChatSettings, dedup_ttl: float) -> float:
    # A URL's timestamp stays acceptable for `window` on either side of now.
    window = settings.replay_window
    return 2 * window + 60 if window > 0 else dedup_ttl


async def check_url_once(request: Request, content: bytes, store: Any, ttl: float) -> None:
    """A signed URL (timestamp + nonce; the signature follows from them)
    carries one message only.

    WeChat's own retries re-send the very same URL and body (the same
    signature, timestamp and nonce show up on all of them in server logs),
    possibly after our first answer has gone out, so an identical reuse is
    let through: MsgId de-duplication gives it the first attempt's answer
    and the bot never runs twice. A reuse with any other content can only be
    a replay carrying a forged message: refused.
    """
    args = request.args
    digest = hashlib.sha256(content).hexdigest()
    key = f"url:{args.get('timestamp')}:{args.get('nonce')}"
    first = await store.remember(key, digest, ttl)
    if first is not None and first != digest:
        raise Reject(403, "signed URL reused with another body")


async def read_incoming(
    request: Request, settings: WeChatSettings, crypto: Optional[WeChatCrypto], store: Any, url_ttl: float
) -> Incoming:
    check_query(request, settings)
    args = request.args
    mode = (args.get("encrypt_type") or "raw").lower()
    if mode not in ("raw", "aes"):
        raise Reject(400, "unknown encrypt_type")
    if mode == "raw" and settings.aes_required:
        reason = "WECHAT_AES_KEY is configured" if settings.aes_key else "WECHAT_REQUIRE_AES"
        raise Reject(403, f"plaintext message refused ({reason})")
    body = await read_body(request, settings.max_body)
    root = parse_safe(body)
    xml = body
    if mode == "aes":  # 安全模式 and 兼容模式: only trust the encrypted part
        if crypto is None:
            raise Reject(503, "encryption not configured (WECHAT_AES_KEY missing or unusable)")
        msg_signature = args.get("msg_signature")
        encrypt = root.findtext("Encrypt")
        if not msg_signature or not encrypt:
            raise Reject(400, "missing msg_signature or Encrypt")
        expected = signature(settings.token, args.get("timestamp"), args.get("nonce"), encrypt)
        if not same(expected, msg_signature):
            raise Reject(403, "bad msg_signature")
        try:
            plain = crypto.decrypt_message(
                {"Encrypt": encrypt}, msg_signature, args.get("timestamp"), args.get("nonce")
            )
        except InvalidAppIdException:
            raise Reject(403, "message is for another AppID")
        except InvalidSignatureException:
            raise Reject(403, "bad msg_signature")
        except Exception:  # noqa: BLE001 - bad base64/padding/length/utf-8
            raise Reject(400, "cannot decrypt message")
        # Only authenticated content may use up a URL, so a forger can't
        # burn the URL of a genuine message that is still on its way.
        await check_url_once(request, encrypt.encode(), store, url_ttl)
        xml = plain.encode("utf-8")
        root = parse_safe(xml)
    else:  # 明文模式: nothing but the URL is signed
        await check_url_once(request, body, store, url_ttl)
    for name in ("ToUserName", "FromUserName", "MsgType"):
        if not (root.findtext(name) or "").strip():
            raise Reject(400, f"missing {name}")
    try:
        msg = parse_message(xml)
    except Exception:  # noqa: BLE001
        raise Reject(400, "unparsable message")
    return Incoming(msg=msg, root=root, encrypted=(mode == "aes"))
