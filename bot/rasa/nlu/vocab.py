"""Topic words per policy family, read from the knowledge base itself.

Every policy file's name and keywords, plus the words owners use for a whole family (社保, 贷款,
税 …). The homophone normaliser (bot.rasa.nlu.pinyin) repairs sound-alike spellings of these words
and the topic featurizer (bot.rasa.nlu.topic) tells DIET which family a message names, so new
policies added to policies_kb/ reach the NLU at the next training without new examples.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, FrozenSet, Set

import yaml

ROOT = Path(__file__).resolve().parents[3]
POLICIES = ROOT / "policies_kb" / "policies"
USERDICT = ROOT / "data" / "jieba" / "userdict.txt"

# Words for a family as a whole; policy files name single policies. Single characters (税, 贷)
# only count as topic evidence, they are never "repaired" (see terms()).
FAMILY_WORDS: Dict[str, Set[str]] = {
    "social_insurance": {"社保", "社会保险", "养老保险", "医保", "医疗保险", "失业保险", "工伤保险",
                         "五险", "社保费", "缓缴", "缓交", "保险费", "养老金", "交社保"},
    "employment": {"稳岗", "稳岗返还", "扩岗", "留工", "吸纳就业", "招人", "招工", "用工",
                   "灵活就业", "就业补贴", "员工培训"},
    "tax_relief": {"税", "增值税", "个税", "个人所得税", "所得税", "企业所得税", "六税两费", "减税",
                   "免税", "税费", "纳税", "交税", "缴税", "税收", "发票", "专票", "征收率",
                   "起征点", "印花税", "附加税", "税务"},
    "guaranteed_loan": {"贷", "贷款", "担保贷款", "创业担保贷款", "创业贷", "贴息", "普惠贷款",
                        "借钱", "借款", "利息", "低息", "无息", "银行"},
    "ip_financing": {"知识产权", "专利", "商标", "质押", "知识产权质押", "专利质押", "商标质押",
                     "版权", "著作权"},
    "startup_subsidy": {"创业补贴", "一次性创业补贴", "创业补助", "开业补贴", "房租", "租金",
                        "场地", "孵化", "创业园", "门面"},
    "returnee_startup": {"返乡", "返乡创业", "回乡", "回老家", "入乡", "回村", "农民工", "乡村振兴"},
    "veteran_support": {"退役军人", "退役", "退伍", "转业", "军人", "老兵", "复员", "士兵"},
    "business_registration": {"营业执照", "执照", "注册", "登记", "许可证", "个转企", "一件事",
                              "注销", "变更", "年报", "备案"},
}

# English words that name a family: an English question gets the Chinese answer of its family.
ENGLISH_WORDS: Dict[str, Set[str]] = {
    "social_insurance": {"social insurance", "social security", "pension", "insurance"},
    "tax_relief": {"tax", "vat", "taxes"},
    "guaranteed_loan": {"loan", "loans", "borrow", "credit"},
    "ip_financing": {"patent", "trademark", "intellectual property", "copyright"},
    "startup_subsidy": {"subsidy", "subsidies", "grant", "rent"},
    "returnee_startup": {"return home", "hometown", "migrant worker"},
    "veteran_support": {"veteran", "army", "military", "soldier"},
    "business_registration": {"license", "licence", "register", "registration"},
}

# Words of every family's questions, worth repairing too (正策 → 政策, 优会 → 优惠).
GENERAL_WORDS = {"政策", "优惠", "扶持", "帮扶", "补贴", "补助", "减免", "申请", "条件", "材料", "办理",
                 "流程", "门槛", "延期", "个体户", "个体工商户", "小微企业", "营业额", "流水", "员工",
                 "惠企", "享受", "标准", "额度", "期限"}

_BRACKETS = re.compile(r"[（(【\[][^）)】\]]*[）)】\]]")
_SPLIT = re.compile(r"[\s、，,。；;：:“”\"'《》·/]+|及|和|与")


def _name_parts(name: str) -> Set[str]:
    """「创业担保贷款及财政贴息」 → {创业担保贷款, 财政贴息}; bracketed notes dropped."""
    return {p for p in _SPLIT.split(_BRACKETS.sub(" ", name)) if len(p) >= 2}


@lru_cache(maxsize=1)
def family_topics() -> Dict[str, FrozenSet[str]]:
    """family → words naming it (hand-written family words + every policy's name and keywords)."""
    words: Dict[str, Set[str]] = {family: set(ws) for family, ws in FAMILY_WORDS.items()}
    for path in sorted(POLICIES.glob("**/*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        family = data.get("family")
        if not family or str(data.get("name", "")).startswith("【示例】"):
            continue
        bucket = words.setdefault(family, set())
        bucket |= _name_parts(str(data.get("name", "")))
        bucket |= {str(k) for k in data.get("keywords") or [] if re.search(r"[\u4e00-\u9fff]", str(k))}
    return {family: frozenset(ws) for family, ws in words.items()}


@lru_cache(maxsize=1)
def terms() -> FrozenSet[str]:
    """Correctly spelled domain words a sound-alike misspelling is repaired to: topic words and the
    policy terms of the jieba user dictionary (tag nz; its n entries include misspelt 说法)."""
    out = {w for ws in family_topics().values() for w in ws} | GENERAL_WORDS
    if USERDICT.exists():
        for line in USERDICT.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[2] == "nz":
                out.add(parts[0])
    out |= profile_words()
    return frozenset(w for w in out if 2 <= len(w) <= 8 and re.fullmatch(r"[\u4e00-\u9fff]+", w))


def profile_words() -> Set[str]:
    """How owners name their industry, identity, entity and taxpayer type (synonyms.yml), so
    that 参饮/餐饮 or 退伍君人 reach the synonym mapper spelt right."""
    from policies_kb import normalize, profile

    vocab = set()
    for field in ("entity_type", "industry", "identities", "taxpayer_type"):
        vocab |= set(profile.vocabulary(field) or [])
    # Two-character 说法 (的士, 士多, 工地) are too often a slice of an ordinary phrase.
    return {w for w, value in normalize.synonyms().items() if value in vocab and len(w) >= 3} | vocab
