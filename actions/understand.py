"""Reading an owner's message beyond the NLU intent: is it a bare answer to the question we
asked, a fact question (how much / until when / what is it), a page request, a sales figure
with its period, a complaint's facts."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

from bot.rasa.nlu import vocab as nlu_vocab
from policies_kb import normalize

UNKNOWN = "__unknown__"  # "不清楚": the owner does not know; move on, never ask it again

DONT_KNOW = re.compile(r"不清楚|不知道|不太清楚|说不好|不确定|不晓得|不懂|忘了|搞不清|没数")
QUESTION = re.compile(r"[吗嘛么？?]|什么|啥|多少|怎么|咋|能不能|可不可以|可以不|有没有|哪些|哪个|哪里|是不是|行不行|多久|几时|还有.{0,4}[吗没]")
PAGE = re.compile(r"^(更多|还有吗|还有呢|还有没有|还有别的吗|下一页|再来点|继续|接着说|再看看|看更多)[。？?！!]*$")
CANCEL_HANDOFF = re.compile(r"算了|不用(人工|了)|取消|不要人工|不找人工|不等了|我自己看")
WAITING = re.compile(r"人呢|怎么没人|有人吗|还要等|等多久|多久回|还没人")
# Someone the owner hired or helps is not the owner's own identity.
HIRED = re.compile(r"招了|招的|招个|雇了|雇的|请了个|员工|店员|伙计|帮工|小工|我儿子|我女儿|我老婆|我老公|亲戚")
OWNER_SELF = re.compile(r"我是|我本人|本人是|我自己是|我也是")

FACT_KINDS = [
    ("conditions", re.compile(r"条件|门槛|资格|符合什么|够不够格|谁能(申请|办|享受|贷)|哪些人(能|可以)|什么人(能|可以)")),
    ("materials", re.compile(r"材料|资料|带什么|准备什么|要啥证|证件")),
    ("place", re.compile(r"去哪|在哪办|哪里办|哪儿办|找谁|哪个部门|线上|网上办|怎么申请|怎么办理|咋申请|咋办")),
    ("time", re.compile(r"多久|几天|多长时间|多快|啥时候到账|什么时候到账")),
    ("until", re.compile(r"到什么时候|到哪天|到啥时候|到哪年|截止|还有吗|还有没有|还能|现在还|过期|有效期|结束了")),
    ("amount", re.compile(r"最多|多少|能贷|贷多少|补多少|减多少|扣减|能省|省多少|额度|(能|可以|给|补|贷|批)几万|上限|怎么算|咋算|交多少|标准|比例")),
    ("what", re.compile(r"是什么|是啥|啥意思|什么意思|怎么回事|什么是|啥是|介绍")),
]
CAN = re.compile(r"能不能|能否|可不可以|可以不|可以吗|能享受|能用|能申请|能办|是不是|算不算|行不行|有份吗|适用|能.{0,8}[吗不]$")


# Words that put a general question ("有什么优惠") into one family.
TOPICS = [(re.compile(r"专利|商标|知识产权|著作权"), "ip_financing"), (re.compile(r"税"), "tax_relief"), (re.compile(r"贷"), "guaranteed_loan"),
          (re.compile(r"缓|社保|养老|医保"), "social_insurance"), (re.compile(r"补贴|补助|奖补"), "startup_subsidy")]


def topic(text: str) -> Optional[str]:
    return next((family for pattern, family in TOPICS if pattern.search(text)), None)


def fact_kind(text: str) -> Optional[str]:
    for kind, pattern in FACT_KINDS:
        if pattern.search(text):
            return kind
    return "can" if CAN.search(text) else None


def is_question(text: str) -> bool:
    return bool(QUESTION.search(text))


# ---- numbers with their period -------------------------------------------------------------

_SALES = re.compile(r"(卖|销售|营业额|营收|流水|进账|收入|营业)")
_INCOME = re.compile(r"(挣|赚|利润|纯收入|所得|落下|净赚)")


def _per_month(clause: str) -> float:
    """Factor that turns a figure said for the clause's period into a monthly one."""
    return normalize.PER_MONTH.get(normalize.period_of(clause) or "month", 1.0)


def _clauses(text: str):
    text = re.sub(r"[0-9.]+\s*[%％]|百分之[零一二三四五六七八九十]+", "", text)  # a rate is not an amount
    return [c for c in re.split(r"[，,。；;！!？?\s]+", text) if c]


def income_clause(text: str, start: int) -> bool:
    """Is the figure at `start` said about profit (挣/利润) rather than sales?"""
    left = re.split(r"[，,。；;！!？?\s]", text[:start])[-1]
    right = re.split(r"[，,。；;！!？?\s]", text[start:])[0]
    clause = left + right
    return bool(_INCOME.search(clause)) and not _SALES.search(clause)


def sales_per_month(text: str) -> Optional[float]:
    """"一个季度二十多万" → 6.67, "这个月卖了十几万" → 10, "一年七十万营业额" → 5.83 (万元/月)."""
    for clause in _clauses(text):
        if _SALES.search(clause) and not _INCOME.search(clause):
            value = normalize.parse_wan(clause)
            if value is not None and value > 0:
                return round(value * _per_month(clause), 2)
    return None


def income_per_year(text: str) -> Optional[float]:
    """"一年挣三十万左右" → 30, "一个月落下两万" → 24 (万元/年)."""
    for clause in _clauses(text):
        if _INCOME.search(clause):
            value = normalize.parse_wan(clause)
            if value is not None and value > 0:
                marked = _per_month(clause) != 1.0 or "月" in clause
                return round(value * 12 * _per_month(clause), 2) if marked else value
    return None


# ---- a bare answer to the bot's own question ---------------------------------------------------

def answer_to(field: str, text: str) -> Tuple[bool, Any]:
    """(taken, value) for `text` as the answer to the question about `field`."""
    s = text.strip()
    if DONT_KNOW.search(s):
        return True, UNKNOWN
    if field == "identities":
        if re.search(r"都不是|都没有|不是|没有|普通人|啥也不是|都不", s):
            return True, []
        word = normalize.canonical("identities", s)
        return (True, [word]) if word else (False, None)
    if field in ("entity_type", "industry", "taxpayer_type", "insured_as"):
        word = normalize.canonical(field, s)
        return (True, word) if word else (False, None)
    if field == "employees":
        if re.search(r"万|千|块|元|年|月|号|岁", s):
            return False, None
        count = normalize.parse_count(s)
        return (True, count) if count is not None else (False, None)
    if field in ("monthly_sales", "annual_taxable_income", "total_assets") and not (
            re.search(r"万|千|块|元|w|W", s) or re.fullmatch(r"[0-9.]+", s)):
        return False, None
    if field == "monthly_sales":
        value = sales_per_month(s) if _SALES.search(s) else None
        if value is None:
            value = normalize.parse_wan(s)
            value = None if value is None else round(value * _per_month(s), 2)
        return (True, value) if value is not None else (False, None)
    if field in ("annual_taxable_income", "total_assets"):
        value = normalize.parse_wan(s)
        return (True, value) if value is not None else (False, None)
    if field in ("first_startup", "has_ip"):
        value = normalize.parse_bool(s)
        if value is None and field == "first_startup" and re.search(r"头一回|头一次|第一回|首次", s):
            value = True
        return (True, value) if value is not None else (False, None)
    if field == "registered_on":
        value = normalize.parse_date(s)
        return (True, value) if value else (False, None)
    if field == "region":
        return (True, s) if normalize.parse_region(s) and len(s) <= 16 else (False, None)
    return False, None


# ---- complaints ---------------------------------------------------------------------------------

def fee_facts(text: str) -> Dict[str, str]:
    """What, who, when and how much, as far as the owner's message says."""
    out: Dict[str, str] = {}
    what = re.search(r"[\u4e00-\u9fa5]{0,6}(费|罚款|摊派|押金|赞助|会费|保证金)", text)
    if what:
        # "市场管理的乱收摊位费" → 摊位费: keep what follows the last 的 / 收 / 交
        out["fee_what"] = re.split(r"[的收交罚让要块元钱万千百十两一二三四五六七八九]", what.group(0))[-1] or what.group(0)
        if len(out["fee_what"]) < 2:
            out["fee_what"] = what.group(0)[-3:]
    who = re.search(r"(市场管理[处所办]?|市场监管[局所]?|城管|物业|街道|居委会|村委会?|社区|[\u4e00-\u9fa5]{1,6}(局|所|公司|协会|中心|银行|平台|办))", text)
    if who:
        out["fee_who"] = re.sub(r"^[是被让给]", "", who.group(0))
    when = re.search(r"(上个?月|这个?月|上周|昨天|前天|今天|去年|今年|\d{1,2}月\d{0,2}日?|[一二三四五六七八九十]+月份?)", text)
    if when:
        out["fee_when"] = when.group(0)
    amount = re.search(r"([0-9]+(?:\.[0-9]+)?|[一二两三四五六七八九十百千万]+)\s*(块|元|万)钱?", text) or \
        re.search(r"(?:收了?|交了?|罚了?|要了?)(?:我)?\s*([0-9]+)", text)
    if amount:
        said = amount.group(0) if amount.group(0).rstrip("钱")[-1] in "块元万" else amount.group(1) + "元"
        per = re.match(r"\s*(?:一|每|1)个?(天|日|月|年|次|回|季度?)", text[amount.end():]) or \
            re.search(r"(?:每|一)个?(天|日|月|年|次|回|季度?)[收交要罚]?了?我?\s*$", text[:amount.start()])
        out["fee_amount"] = f"每{per.group(1)} {said}" if per else said  # "一块钱一天" → 每天 一块钱
    return out


# ---- questions in English or pinyin -----------------------------------------------------------

@lru_cache(maxsize=1)
def _pinyin_words() -> List[Tuple[str, str, str]]:
    """(toneless pinyin, word, family) of every topic word of two or more characters, longest first."""
    from pypinyin import lazy_pinyin
    out = {("".join(lazy_pinyin(w)), w, family) for family, words in nlu_vocab.family_topics().items()
           for w in words if len(w) >= 2}
    return sorted(out, key=lambda t: (-len(t[0]), t[0]))


def latin_topic(text: str) -> Optional[Tuple[str, str]]:
    """(family, the Chinese word understood) for a message in English or pinyin, else None:
    "xiao gui mo na shui ren" → tax_relief, 小规模纳税人; "how to get a loan" → guaranteed_loan."""
    lowered = text.lower()
    for family, words in nlu_vocab.ENGLISH_WORDS.items():
        for word in sorted(words, key=len, reverse=True):
            if re.search(rf"\b{re.escape(word)}\b", lowered):
                return family, word
    compact = re.sub(r"[^a-z]", "", lowered)
    for sound, word, family in _pinyin_words():
        if len(sound) >= 6 and sound in compact:
            return family, word
    return None
