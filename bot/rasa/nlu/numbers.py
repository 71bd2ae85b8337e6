"""Head counts and sales figures with their period: "一年营业额80万" is annual, "月流水5万" monthly.

Runs after ProfileEntityNormalizer (values are already numbers). Two jobs:
- A sales figure DIET tagged gets the period its own words give: the nearest period word before
  it (一年 / 每月 / 季度 …) or right after it ("80万一年"). A quarterly figure is neither field
  and is dropped, since a wrong period would put a figure three times off into the profile.
- A head count or sales figure DIET missed in a long message is added when the words around it
  leave no doubt ("请了3个员工", "员工12人", "一年营业额一百五十万左右"). Rent, wages, loans and
  subsidies are never sales ("房租一个月六千").
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from policies_kb import normalize

_NUM = r"(?:[0-9]+(?:\.[0-9]+)?|[零一二两三四五六七八九十百千几]+)"
_AMOUNT = re.compile(_NUM + r"(?:多|来|余)?(?:万|w|W|千|块钱|块|元)(?:多|来)?")
_COUNT = _NUM + r"(?:多|来)?"
_STAFF = r"(?:员工|工人|店员|伙计|服务员|帮工|小工|徒弟|师傅|技师|厨师|营业员|职工|雇员|司机|教练|老师|帮手)"
_EMPLOYEES = [
    re.compile(r"(?:请|雇|招|聘|招用|雇佣|用)(?:了|过|着)?(?P<n>" + _COUNT + r")(?:个|名|位)(?:" + _STAFF[3:-1] + r"|人|工)"),
    re.compile(r"(?:员工|工人|职工|店员|雇员|员工数)(?:有|共|一共|总共|大概|差不多|约|大约)?(?P<n>" + _COUNT + r")(?:个|名|位|人)"),
    re.compile(r"(?<![一二两三四五六七八九十0-9])(?P<n>" + _COUNT + r")(?:个|名|位)" + _STAFF),
]
_YEAR, _MONTH, _QUARTER = (normalize.PERIOD_WORDS[p] for p in ("year", "month", "quarter"))
_SALES_WORDS = re.compile(r"营业额|销售额|流水|收入|营收|卖|销售|进账|挣|赚|生意|产值|营业|开票")
_NOT_SALES = re.compile(r"房租|租金|工资|社保|房贷|贷款|借|利息|补贴|补助|成本|开支|费|税|亏|交|付|投资|资金|本钱")
_AFTER_PERIOD = re.compile(r"^(?:左右|上下|出头)?(?:/|每|一)?(年|个月|月|季度)")


def _period_before(window: str) -> Optional[str]:
    """The period word nearest the end of `window`: 'annual', 'monthly', 'quarter' or None."""
    best: Tuple[int, Optional[str]] = (-1, None)
    for pattern, name in ((_YEAR, "annual"), (_MONTH, "monthly"), (_QUARTER, "quarter")):
        for m in pattern.finditer(window):
            # 月 inside 个月/每月 is the same cue; a longer match ending later wins.
            if m.end() > best[0] or (m.end() == best[0] and name == "quarter"):
                best = (m.end(), name)
    return best[1]


def period(text: str, start: int, end: int) -> Optional[str]:
    """The period of the amount at text[start:end] by its own words."""
    after = _AFTER_PERIOD.match(text[end:end + 6])
    if after:
        return {"年": "annual", "个月": "monthly", "月": "monthly", "季度": "quarter"}[after.group(1)]
    window = re.split(r"[。！？!?；;，,]", text[max(0, start - 10):start])[-1]
    # A figure before this one stops the look-back ("一年80万，月均7万": 7万 is monthly).
    window = re.split(_NUM + r"(?:万|千|块|元)", window)[-1]
    return _period_before(window)


def _sales_context(text: str, start: int, end: int) -> bool:
    before = re.split(r"[。！？!?；;，,]", text[max(0, start - 10):start])[-1]
    after = text[end:end + 4]
    return bool(_SALES_WORDS.search(before + after)) and not _NOT_SALES.search(before)


def _overlaps(spans: List[Tuple[int, int]], start: int, end: int) -> bool:
    return any(a < end and start < b for a, b in spans)


def fix_periods(text: str, entities: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    out = []
    for entity in entities:
        name, start = entity.get("entity"), entity.get("start")
        if name in ("monthly_sales", "annual_sales") and start is not None:
            said = period(text, start, entity["end"])
            if said == "quarter":
                continue
            if said in ("annual", "monthly") and said + "_sales" != name:
                entity = {**entity, "entity": said + "_sales"}
        out.append(entity)
    return out


def missed(text: str, entities: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Head counts and sales figures no entity covers, where the words leave no doubt."""
    have = {e.get("entity") for e in entities}
    taken = [(e["start"], e["end"]) for e in entities if e.get("start") is not None]
    out: List[Dict[str, Any]] = []
    if "employees" not in have:
        for pattern in _EMPLOYEES:
            m = pattern.search(text)
            if m and not _overlaps(taken, *m.span("n")):
                count = normalize.parse_count(m.group("n"))
                if count:
                    out.append({"entity": "employees", "start": m.start("n"), "end": m.end("n"), "value": count,
                                "extractor": "NumberEntityExtractor"})
                    break
    for m in _AMOUNT.finditer(text):
        start, end = m.span()
        if _overlaps(taken, start, end) or not _sales_context(text, start, end):
            continue
        said = period(text, start, end)
        name = {"annual": "annual_sales", "monthly": "monthly_sales"}.get(said or "")
        value = normalize.parse_wan(m.group())
        if name and name not in have and value:
            out.append({"entity": name, "start": start, "end": end, "value": value,
                        "extractor": "NumberEntityExtractor"})
            have.add(name)
    return out


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class NumberEntityExtractor(GraphComponent):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "NumberEntityExtractor":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            entities = list(message.get(ENTITIES) or [])
            fixed = fix_periods(text, entities)
            fixed += missed(text, fixed)
            if fixed != entities:
                message.set(ENTITIES, fixed, add_to_output=True)
        return messages
