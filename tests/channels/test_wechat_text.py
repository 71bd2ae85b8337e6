"""Reply shaping rules (pure functions, no server)."""
from bot.channels.wechat_text import MORE_HINT, pick_option, render_messages, split_reply


def test_messages_joined_with_blank_lines_and_buttons_numbered():
    text, options = render_messages(
        [
            {"recipient_id": "u", "text": "第一段"},
            {"recipient_id": "u", "text": "请选择：", "buttons": [
                {"title": "找政策", "payload": "/find_policies"},
                {"title": "人工", "payload": "/request_human"},
            ]},
            {"recipient_id": "u", "image": "https://example.invalid/a.png"},
        ]
    )
    assert text == "第一段\n\n请选择：\n\n图片：https://example.invalid/a.png\n\n回复数字选择：\n1. 找政策\n2. 人工"
    assert options == [
        {"title": "找政策", "payload": "/find_policies"},
        {"title": "人工", "payload": "/request_human"},
    ]


def test_pick_option():
    options = [{"title": "a", "payload": "/a"}, {"title": "b", "payload": "/b"}]
    assert pick_option(" 2 ", options) == "/b"
    assert pick_option("２", options) == "/b"
    assert pick_option("3", options) is None
    assert pick_option("0", options) is None
    assert pick_option("1", None) is None
    assert pick_option("一", options) is None


def test_short_reply_is_one_part():
    assert split_reply("你好") == ["你好"]
    assert split_reply("") == []


def test_split_respects_byte_limit_and_keeps_everything():
    text = "\n\n".join(f"第{i}段：" + "政策内容说明。" * 40 for i in range(12))
    parts = split_reply(text)
    assert len(parts) > 1
    assert all(len(p.encode("utf-8")) <= 2048 for p in parts)
    assert all(p.endswith(MORE_HINT) for p in parts[:-1]) and not parts[-1].endswith(MORE_HINT)
    rebuilt = "".join(p.replace(MORE_HINT, "") for p in parts)
    assert rebuilt.replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")


def test_split_unbroken_text_never_cuts_a_character():
    parts = split_reply("政" * 3000 + "x" * 10)
    assert all(len(p.encode("utf-8")) <= 2048 for p in parts)
    assert "".join(p.replace("\n\n" + MORE_HINT, "") for p in parts) == "政" * 3000 + "x" * 10
