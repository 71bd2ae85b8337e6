"""Profile words DIET missed, found by the synonyms table (data/nlu/synonyms.yml).

"我在村里养鱼" names 农业 even when DIET tags nothing: a known surface form of an industry,
identity, entity type or taxpayer type that no extracted entity covers is added with its
canonical value. Generic words (企业, 公司 …), words inside a policy's name ("失业保险",
"小微企业所得税") and the people an owner hires ("招大学生") are left out: a wrong word in the
profile costs more than a missed one, which the bot asks for anyway.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Dict, List, Pattern, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.rasa.nlu import vocab as nlu_vocab

FIELDS = {"entity_type": "entity_type", "industry": "industry", "identity": "identities",
          "taxpayer_type": "taxpayer_type"}
GENERIC = {"企业", "公司", "个体", "单位", "老板", "工商户", "其他", "生产", "培训", "医疗", "裁员",
           "村民", "农场", "一般人", "小规模"}
_HIRED = re.compile(r"(招|雇|请|吸纳|招用|招聘|帮)[了过]?[0-9一二两三四五六七八九十几个名位些]*$")
_TOPIC_AFTER = re.compile(r"^(保险|险|金|率|事务|所得税)")


@lru_cache(maxsize=1)
def _table() -> Tuple[Pattern, Dict[str, Tuple[str, str]]]:
    from policies_kb import normalize, profile

    forms: Dict[str, Tuple[str, str]] = {}
    for entity, field in FIELDS.items():
        vocab = set(profile.vocabulary(field) or [])
        for surface, value in normalize.synonyms().items():
            if value in vocab:
                forms[surface] = (entity, value)
        for value in vocab:
            forms.setdefault(value, (entity, value))
    words = sorted((w for w in forms if len(w) >= 2 and w not in GENERIC and re.search(r"[\u4e00-\u9fff]", w)),
                   key=lambda w: (-len(w), w))
    return re.compile("|".join(re.escape(w) for w in words)), forms


@lru_cache(maxsize=1)
def _topic_words() -> List[str]:
    return sorted({w for ws in nlu_vocab.family_topics().values() for w in ws if len(w) >= 3})


def _topic_spans(text: str) -> List[Tuple[int, int]]:
    spans = []
    for word in _topic_words():
        at = text.find(word)
        while at >= 0:
            spans.append((at, at + len(word)))
            at = text.find(word, at + 1)
    return spans


def _inside_topic_word(spans: List[Tuple[int, int]], start: int, end: int, identity: bool) -> bool:
    """Inside a longer policy word; an identity may open one (退役军人创业 is said by veterans)."""
    return any(a <= start and end <= b and (a, b) != (start, end) and not (identity and a == start)
               for a, b in spans)


def found(text: str, taken: List[Tuple[int, int]]) -> List[Dict[str, Any]]:
    pattern, forms = _table()
    out, spans = [], None
    for m in pattern.finditer(text):
        start, end = m.span()
        if any(a < end and start < b for a, b in taken):
            continue
        if _HIRED.search(text[max(0, start - 6):start]) or _TOPIC_AFTER.match(text[end:]):
            continue
        entity, value = forms[m.group()]
        spans = _topic_spans(text) if spans is None else spans
        if _inside_topic_word(spans, start, end, entity == "identity"):
            continue
        out.append({"entity": entity, "start": start, "end": end, "value": value,
                    "extractor": "VocabularyEntityExtractor"})
    return out


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class VocabularyEntityExtractor(GraphComponent):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "VocabularyEntityExtractor":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            entities = list(message.get(ENTITIES) or [])
            taken = [(e["start"], e["end"]) for e in entities if e.get("start") is not None]
            # One entity type / industry / taxpayer type per message: DIET's choice stands.
            single = {e["entity"] for e in entities} - {"identity"}
            extra = []
            for entity in found(message.get(TEXT) or "", taken):
                if entity["entity"] not in single:
                    extra.append(entity)
                    if entity["entity"] != "identity":
                        single.add(entity["entity"])
            if extra:
                message.set(ENTITIES, entities + extra, add_to_output=True)
        return messages
