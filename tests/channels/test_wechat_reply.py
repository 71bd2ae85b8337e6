"""The passive reply's XML: whatever the text, it parses back to exactly the
five fields WeChat expects, with the text unchanged."""
import xml.etree.ElementTree as ET

import pytest

from bot.channels.wechat_reply import cdata, text_reply_xml


@pytest.mark.parametrize(
    "content",
    [
        "您好！我是政策通。",
        "]]></Content><MsgType><![CDATA[news]]></MsgType><Content><![CDATA[伪造",
        "]]>]]>]]>",
        "a]]b]>c<![CDATA[d",
        "<b>&amp;</b> & < >",
    ],
)
def test_reply_parses_back_to_one_content(content):
    root = ET.fromstring(text_reply_xml(to_user="oUser]]>x", from_user="gh_zct", content=content, create_time=1))
    assert [c.tag for c in root] == ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content"]
    assert root.findtext("Content") == content
    assert root.findtext("ToUserName") == "oUser]]>x"
    assert root.findtext("MsgType") == "text"


def test_characters_xml_forbids_are_dropped():
    # \x00-\x08 can't appear in XML 1.0 at all; leaving them in would make
    # the whole reply unreadable for WeChat.
    root = ET.fromstring("<xml>" + cdata("a\x00b\x08c\td") + "</xml>")
    assert root.text == "abc\td"
