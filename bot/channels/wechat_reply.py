"""The passive reply's XML, escaped so that an owner's text can never add
elements to it (wechatpy's templates paste text into CDATA unescaped, so a
`]]>` in the text would close the section)."""
import random
import re
import string
import time
from typing import Optional

from wechatpy.crypto import WeChatCrypto

# Characters XML 1.0 does not allow at all, even inside CDATA.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def cdata(text: str) -> str:
    """`text` as CDATA; each `]]>` is split across two sections."""
    clean = _NOT_XML.sub("", text)
    return "<![CDATA[" + clean.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply_xml(*, to_user: str, from_user: str, content: str, create_time: Optional[int] = None) -> str:
    return (
        "<xml>"
        f"<ToUserName>{cdata(to_user)}</ToUserName>"
        f"<FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(create_time or time.time())}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content>"
        "</xml>"
    )


def encrypted(xml: str, crypto: WeChatCrypto) -> str:
    # A fresh nonce: nothing of the request is reflected into the envelope.
    nonce = "".join(random.choices(string.digits, k=10))
    return crypto.encrypt_message(xml, nonce)
