"""WeChat's side of the protocol, for tests and the bench: builds message XML,
signs it with the token and encrypts it with WeChatCrypto exactly as WeChat's
servers do, then POSTs it to our webhook."""
import itertools
import random
import string
import time
from typing import Dict, Optional, Tuple

import requests
import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

ACCOUNT = "gh_zhengcetong01"  # the official account's own id (ToUserName)
_msg_ids = itertools.count(int(time.time() * 1000) * 1000 + random.randint(0, 999))


def sign(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def nonce() -> str:
    return "".join(random.choices(string.digits, k=10))


def new_openid() -> str:
    return "o" + "".join(random.choices(string.ascii_letters + string.digits, k=27))


def cdata(value: str) -> str:
    # as WeChat's servers send it: a "]]>" in the text is split across sections
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def message_xml(openid: str, msg_type: str, create_time: Optional[int] = None, **fields: str) -> str:
    parts = [
        f"<ToUserName>{cdata(ACCOUNT)}</ToUserName>",
        f"<FromUserName>{cdata(openid)}</FromUserName>",
        f"<CreateTime>{create_time or int(time.time())}</CreateTime>",
        f"<MsgType><![CDATA[{msg_type}]]></MsgType>",
    ]
    for name, value in fields.items():
        parts.append(f"<{name}>{cdata(value)}</{name}>" if isinstance(value, str) else f"<{name}>{value}</{name}>")
    return "<xml>" + "".join(parts) + "</xml>"


def text_xml(openid: str, content: str, msg_id: Optional[int] = None) -> str:
    return message_xml(openid, "text", Content=content, MsgId=msg_id or next(_msg_ids))


def event_xml(openid: str, event: str, key: Optional[str] = None, create_time: Optional[int] = None) -> str:
    fields = {"Event": event}
    if key is not None:
        fields["EventKey"] = key
    return message_xml(openid, "event", create_time=create_time, **fields)


def next_msg_id() -> int:
    return next(_msg_ids)


class WeChatSide:
    """mode: "plain" (明文), "compat" (兼容: plain fields + Encrypt) or "safe" (安全)."""

    def __init__(self, url: str, token: str, appid: str, aes_key: Optional[str] = None, mode: str = "plain"):
        self.url = url.rstrip("/") + "/webhooks/wechat/webhook"
        self.token = token
        self.appid = appid
        self.mode = mode
        self.crypto = WeChatCrypto(token, aes_key, appid) if aes_key else None
        self.session = requests.Session()

    def prepare(
        self, xml: str, timestamp: Optional[int] = None, nonce_: Optional[str] = None
    ) -> Tuple[Dict[str, str], bytes]:
        """Query string and body WeChat would send for `xml`; WeChat's own
        retries re-send exactly these."""
        ts = str(timestamp or int(time.time()))
        n = nonce_ or nonce()
        params = {"signature": sign(self.token, ts, n), "timestamp": ts, "nonce": n, "openid": "x"}
        if self.mode == "plain":
            return params, xml.encode("utf-8")
        assert self.crypto is not None
        encrypted = xmltodict.parse(self.crypto.encrypt_message(xml, n, ts))["xml"]["Encrypt"]
        params.update(encrypt_type="aes", msg_signature=sign(self.token, ts, n, encrypted))
        envelope = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        if self.mode == "compat":  # 兼容模式 sends the plaintext fields too
            envelope = xml[: -len("</xml>")] + f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        return params, envelope.encode("utf-8")

    def post(self, xml: str, timeout: float = 10, **kw) -> requests.Response:
        params, body = self.prepare(xml, **kw)
        return self.session.post(self.url, params=params, data=body, timeout=timeout)

    def post_raw(self, params: Dict[str, str], body: bytes, timeout: float = 10) -> requests.Response:
        return self.session.post(self.url, params=params, data=body, timeout=timeout)

    def reply_of(self, resp: requests.Response) -> Optional[Dict[str, str]]:
        """The passive reply as a dict (decrypted when encrypted), or None for "success"."""
        assert resp.status_code == 200, (resp.status_code, resp.text)
        if resp.text in ("success", ""):
            return None
        data = xmltodict.parse(resp.text)["xml"]
        if "Encrypt" in data:
            assert self.crypto is not None
            assert sign(self.token, data["TimeStamp"], data["Nonce"], data["Encrypt"]) == data["MsgSignature"]
            plain = self.crypto.decrypt_message(resp.text, data["MsgSignature"], data["TimeStamp"], data["Nonce"])
            data = xmltodict.parse(plain)["xml"]
            data["_encrypted"] = "1"
        return data

    def say(self, openid: str, content: str, msg_id: Optional[int] = None) -> Optional[Dict[str, str]]:
        return self.reply_of(self.post(text_xml(openid, content, msg_id)))


def webhook(server) -> str:
    return f"{server.url}/webhooks/wechat/webhook"


def signed_query(token: str, timestamp=None):
    ts = str(timestamp or int(time.time()))
    n = nonce()
    return {"signature": sign(token, ts, n), "timestamp": ts, "nonce": n}
