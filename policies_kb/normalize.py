"""Turn what owners say into profile values: numbers (cn2an), vocabulary words, yes/no, dates, places.

Shared by the NLU component, the bot's form validation and the hotline console. Colloquial
words come from the same synonyms file Rasa trains with (data/nlu/synonyms.yml), so there is
one list of 说法 to maintain.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Optional

import yaml

from policies_kb import clock
from policies_kb import profile as profile_mod

SYNONYMS_PATH = Path(__file__).resolve().parent.parent / "data" / "nlu" / "synonyms.yml"
# Which profile field each NLU entity fills.
ENTITY_FIELDS = {"entity_type": "entity_type", "industry": "industry", "identity": "identities",
                 "taxpayer_type": "taxpayer_type"}

_NUM_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?|[零一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟点]+")


@lru_cache(maxsize=1)
def synonyms() -> Dict[str, str]:
    """surface form → canonical value, from Rasa's synonyms file (missing file: empty)."""
    table: Dict[str, str] = {}
    if not SYNONYMS_PATH.exists():
        return table
    data = yaml.safe_load(SYNONYMS_PATH.read_text(encoding="utf-8")) or {}
    for item in data.get("nlu", []):
        if "synonym" in item:
            for line in str(item.get("examples", "")).splitlines():
                word = line.strip().lstrip("-").strip()
                if word:
                    table[word] = str(item["synonym"])
    return table


def canonical(field: str, text: Any) -> Optional[str]:
    """Map a word to the vocabulary of `field` (entity_type, industry, identities, taxpayer_type,
    insured_as); None when it cannot be mapped with confidence."""
    vocab = profile_mod.vocabulary(field) or []
    if text is None:
        return None
    word = str(text).strip().strip("。，,.!！?？ ")
    if word in vocab:
        return word
    mapped = synonyms().get(word)
    if mapped in vocab:
        return mapped
    # Longest known surface form inside the phrase ("我开了个小面馆" → 面馆 → 餐饮).
    hits = [(len(k), v) for k, v in synonyms().items() if v in vocab and k in word]
    hits += [(len(v), v) for v in vocab if v in word]
    if field == "insured_as":
        if re.search(r"单位|公司|对公|给员工", word):
            return "单位"
        if re.search(r"个人|自己|灵活就业", word):
            return "个人"
    return max(hits)[1] if hits else None


def _cn_number(token: str) -> Optional[float]:
    import cn2an

    if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", token):
        return float(token)
    token = token.replace("两", "二")
    for mode in ("smart", "normal"):
        try:
            return float(cn2an.cn2an(token, mode))
        except (ValueError, KeyError, TypeError):
            continue
    return None


_AMOUNT_RE = re.compile(r"([0-9]+(?:\.[0-9]+)?|[零一二两三四五六七八九十百千万点]+)\s*(几|多|来|余)?\s*(万|千|w|W|块|元)?")
_UNIT = {"万": 10000, "w": 10000, "W": 10000, "千": 1000}


def parse_number(text: Any) -> Optional[float]:
    """The number in the text, Chinese or Arabic, with 万/千 multipliers kept (五万 → 50000,
    十几万 → 100000). A number with a unit wins over a bare one ("一年挣三十万" → 300000)."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    if text is None:
        return None
    s = str(text).replace(",", "").replace("，", "")
    # "七八万" / "三四十万" / "两三个": two neighbouring digits mean "about", take the middle
    def _about(m: "re.Match") -> str:
        mid = (_cn_number(m.group(2)) + _cn_number(m.group(3))) / 2
        mid = mid * {"十": 10, "百": 100}.get(m.group(4), 1) + (10 if m.group(1) else 0)
        return f"{mid:g}"
    s = re.sub(r"(十)?([一二两三四五六七八九])([一二两三四五六七八九])(十|百)?(?=[千万个人名块元])", _about, s)
    found = []
    for m in _AMOUNT_RE.finditer(s):
        token, unit = m.group(1), m.group(3) or ""
        if token.endswith("万") and not unit:
            unit = "="  # the multiplier is part of the Chinese numeral (六万, 一万二 stays whole)
        if token in ("千", "百", "点", "万") or (not unit and s[m.end():m.end() + 2].startswith(("年", "个月", "季", "天"))):
            continue  # "一年", "三个月": a period, not the amount
        value = _cn_number(token)
        if value is not None and m.group(2) in ("几", "多") and token.endswith(("十", "百")):
            value += 5 if token.endswith("十") else 50  # 十几万 is 11–19万: the middle, not the floor
        if value is not None:
            found.append((bool(unit), value * _UNIT.get(unit, 1)))  # "=": already multiplied
    if found:
        with_unit = [v for has, v in found if has]
        return with_unit[0] if with_unit else found[0][1]
    if "十来" in s or s.startswith("十"):
        return 10.0
    return None


MAX_HEAD_COUNT = 1000


def parse_count(text: Any) -> Optional[int]:
    """A head count: "三个" → 3, "十来个" → 10, "就我自己" / "没有" → 0."""
    if text is not None and re.search(r"没有|没雇|就我|自己干|一个人干|无", str(text)) and not re.search(r"[0-9一二两三四五六七八九十]", str(text).replace("一个人", "")):
        return 0
    value = parse_number(text)
    # Small and micro businesses have at most 1,000 staff in any industry's definition: a bigger
    # "head count" is an amount or a year read into the wrong slot ("每年能减14400的税").
    return int(round(value)) if value is not None and 0 <= value <= MAX_HEAD_COUNT else None


def parse_wan(text: Any) -> Optional[float]:
    """An amount in 万元: "五万" → 5, "3.5万" → 3.5, "8000块" → 0.8, a bare large number is 元."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    value = parse_number(text)
    if value is None:
        return None
    s = str(text)
    if "万" in s or "w" in s.lower():
        return round(value / 10000, 4)
    if re.search(r"块|元|千", s) or value >= 1000:
        return round(value / 10000, 4)
    return value  # "月销售额 8" — owners answering our 万元 question


# The words that give a figure its period ("一年80万", "一个季度二十多万"): one list for the NLU's
# number extractor (bot/rasa/nlu/numbers.py) and the actions' reading of amounts (actions/understand.py).
PERIOD_WORDS = {
    "quarter": re.compile(r"季度|一季|每季|季报"),
    "year": re.compile(r"一年|每年|全年|年均|年营业额|年销售额|年收入|年流水|年营收|年产值|年入|年销|年营|去年|今年|一整年|一年下来"),
    "day": re.compile(r"一天|每天|一日|每日|日均|天天"),
    "month": re.compile(r"一个月|每个月|每月|月均|月营业额|月销售额|月收入|月流水|月营收|月入|月销|一月|月"),
}
PER_MONTH = {"quarter": 1 / 3, "year": 1 / 12, "day": 30.0, "month": 1.0}


def period_of(clause: str) -> Optional[str]:
    """"quarter" / "year" / "day" / "month" named in `clause` (checked in that order), else None."""
    for name, pattern in PERIOD_WORDS.items():
        if pattern.search(clause):
            return name
    return None


def monthly_from_annual(text: Any) -> Optional[float]:
    """A year's sales ("一年80万") as the profile's monthly_sales in 万元."""
    yearly = parse_wan(text)
    return None if yearly is None else round(yearly / 12, 2)


YES = re.compile(r"^(是|是的|对|对的|嗯|嗯嗯|有|有的|第一次|头一回|首次|没错|yes|y|好的?|可以|当然)")
NO = re.compile(r"(不是|没有|没|否|不|no|n$|第二次|以前开过|之前开过|创过业)")


def parse_bool(text: Any) -> Optional[bool]:
    if isinstance(text, bool):
        return text
    s = str(text or "").strip().lower()
    if not s:
        return None
    if NO.search(s):
        return False
    if YES.search(s):
        return True
    return None


def parse_date(text: Any, today: Optional[dt.date] = None) -> Optional[str]:
    """"2024-03-01" / "2024年3月" / "去年" / "三年前" / "上个月" → ISO date (1st of the month when vague)."""
    today = today or clock.local_today()
    s = str(text or "").strip()
    m = re.search(r"(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2}))?", s)
    if m:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)).isoformat()
        except ValueError:
            return None
    m = re.search(r"(\d{4})\s*年", s)
    if m:
        return dt.date(int(m.group(1)), 1, 1).isoformat()
    m = re.search(r"(今年|去年|前年)\s*([0-9一二三四五六七八九十]+)\s*月", s)
    if m:
        month = parse_number(m.group(2))
        if month and 1 <= month <= 12:
            year = today.year - {"今年": 0, "去年": 1, "前年": 2}[m.group(1)]
            return dt.date(year, int(month), 1).isoformat()
    if "今年" in s:
        return dt.date(today.year, 1, 1).isoformat()
    if "去年" in s:
        return dt.date(today.year - 1, today.month, 1).isoformat()
    if "前年" in s:
        return dt.date(today.year - 2, today.month, 1).isoformat()
    m = re.search(r"(.+?)(年|个月)(前|了)", s)
    if m:
        n = parse_number(m.group(1))
        if n is not None:
            months = int(n * 12) if m.group(2) == "年" else int(n)
            total = today.year * 12 + today.month - 1 - months
            return dt.date(total // 12, total % 12 + 1, 1).isoformat()
    if "上个月" in s:
        total = today.year * 12 + today.month - 2
        return dt.date(total // 12, total % 12 + 1, 1).isoformat()
    if re.search(r"还没|没办|准备", s):
        return None
    return None


_REGION_RE = re.compile(r"(?P<province>[^省市区县]{2,8}?(?:省|自治区)|北京|上海|天津|重庆)?"
                        r"(?P<city>[^省市区县]{1,8}?市)?"
                        r"(?P<district>[^省市区县]{1,8}?(?:区|县|旗))?")
MUNICIPALITIES = ("北京", "上海", "天津", "重庆")


def parse_region(text: Any) -> Dict[str, str]:
    """"浙江杭州余杭区" / "示例省示例市示例区" → {province, city, district} as far as said."""
    s = re.sub(r"[在我的是，。,\s]|经营|开店", "", str(text or ""))
    out: Dict[str, str] = {}
    for province in MUNICIPALITIES:
        if s.startswith(province):
            out["province"] = province + "市"
            out["city"] = province + "市"
            s = s[len(province):].lstrip("市")
            break
    m = _REGION_RE.match(s)
    if m:
        for key in ("province", "city", "district"):
            if m.group(key) and key not in out:
                out[key] = m.group(key)
    if not out and s:
        # A bare name without suffix ("杭州", "浙江"): keep it as said, as the city.
        out["city"] = s
    return out


def profile_from_slots(slots: Dict[str, Any]) -> Dict[str, Any]:
    """Build a schema-valid profile from loosely typed values (Rasa slots, form posts)."""
    profile: Dict[str, Any] = {}
    for field in ("entity_type", "industry", "taxpayer_type", "insured_as"):
        value = canonical(field, slots.get(field))
        if value:
            profile[field] = value
    identities = slots.get("identities")
    if isinstance(identities, str):
        identities = [identities]
    if isinstance(identities, list):
        profile["identities"] = [v for v in (canonical("identities", i) for i in identities) if v]
    if slots.get("employees") not in (None, ""):
        count = parse_count(slots["employees"])
        if count is not None:
            profile["employees"] = count
    for field in ("monthly_sales", "annual_taxable_income", "total_assets"):
        if slots.get(field) not in (None, ""):
            value = parse_wan(slots[field])
            if value is not None:
                profile[field] = value
    for field in ("first_startup", "has_ip"):
        if slots.get(field) not in (None, ""):
            value = parse_bool(slots[field])
            if value is not None:
                profile[field] = value
    if slots.get("registered_on"):
        date = parse_date(slots["registered_on"])
        if date:
            profile["registered_on"] = date
    region = slots.get("region")
    if isinstance(region, dict):
        region = {k: v for k, v in region.items() if v}
    elif region:
        region = parse_region(region)
    if region:
        profile["region"] = region
    return profile

