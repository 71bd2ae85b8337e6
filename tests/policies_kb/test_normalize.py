import datetime as dt

import pytest

from policies_kb import normalize


@pytest.mark.parametrize("text,value", [("三", 3), ("三个", 3), ("5个员工", 5), ("两个", 2), ("十来个", 10),
                                        ("就我自己", 0), ("没有", 0), ("12", 12)])
def test_counts(text, value):
    assert normalize.parse_count(text) == value


@pytest.mark.parametrize("text,value", [("五万", 5), ("5万", 5), ("3.5万", 3.5), ("八万多", 8), ("8000块", 0.8),
                                        ("一百二十万", 120), ("50000", 5), ("8", 8)])
def test_amounts_in_wan(text, value):
    assert normalize.parse_wan(text) == pytest.approx(value)


@pytest.mark.parametrize("field,text,value", [("industry", "面馆", "餐饮"), ("industry", "小卖部", "零售"),
                                              ("industry", "民宿", "住宿"), ("industry", "跑货运", "交通运输"),
                                              ("entity_type", "个体户", "个体工商户"), ("identities", "复员", "退役军人"),
                                              ("identities", "退伍的", "退役军人"), ("industry", "卖火箭", None)])
def test_canonical_words(field, text, value):
    assert normalize.canonical(field, text) == value


def test_dates_and_regions():
    today = dt.date(2026, 6, 15)
    assert normalize.parse_date("2024年3月", today) == "2024-03-01"
    assert normalize.parse_date("两年前", today) == "2024-06-01"
    assert normalize.parse_date("去年", today) == "2025-06-01"
    assert normalize.parse_region("示例省示例市示例区") == {"province": "示例省", "city": "示例市", "district": "示例区"}
    assert normalize.parse_region("浙江省杭州市") == {"province": "浙江省", "city": "杭州市"}
    assert normalize.parse_region("上海浦东新区") == {"province": "上海市", "city": "上海市", "district": "浦东新区"}


def test_a_number_too_big_for_a_head_count_is_not_one():
    from policies_kb.normalize import parse_count

    assert parse_count("14400") is None and parse_count("2024") is None
    assert parse_count("8个") == 8 and parse_count("三百") == 300
