"""mask_pii on the forms owners type numbers in (full-width digits, +86, separators) — one masking for logs, analytics and exports."""
import pytest

from bot.rasa.privacy import mask_pii


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我电话13812345678，回电", "我电话138****5678，回电"),
        ("手机 +86 138-1234-5678", "手机 +86 138****5678"),
        ("手机138 1234 5678", "手机138****5678"),
        ("１３８１２３４５６７８", "１３８****５６７８"),
        ("身份证440106199001011234", "身份证440106********1234"),
        ("身份证号 11010519491231002X。", "身份证号 110105********002X。"),
        ("号码13812345678和13987654321", "号码138****5678和139****4321"),
    ],
)
def test_numbers_are_masked(text, expected):
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "月销售额60000元，员工3人",
        "统一社会信用代码 92440101MA5XXXXXXX",
        "订单号 123456789012345678901",  # 21 digits: neither an ID nor a phone
        "12345678901",  # 11 digits but not a mobile (12…)
        "",
    ],
)
def test_other_text_is_untouched(text):
    assert mask_pii(text) == text
