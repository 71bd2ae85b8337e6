"""Drop vocabulary entities the owner denies: "不是个体户是公司" keeps 公司, not 个体户.

Runs after the synonym mapper. Only words said right after a denial (不是, 并非, 不属于, 不算 …)
are dropped; "是不是个体户都能办" asks, it does not deny. Numbers and places are left alone.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

DENIABLE = {"entity_type", "industry", "identity", "taxpayer_type"}
_DENIAL = re.compile(r"(?<!是)(不是|并非|不属于|不算|并不是|也不是)(我们|我|咱)?(做|搞|开|干)?(个|一个|一家|家)?$")


def denied(text: str, start: int) -> bool:
    return bool(_DENIAL.search(text[max(0, start - 8):start]))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class NegatedEntityFilter(GraphComponent):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "NegatedEntityFilter":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            entities = message.get(ENTITIES) or []
            kept = [e for e in entities
                    if not (e.get("entity") in DENIABLE and e.get("start") is not None and denied(text, e["start"]))]
            if len(kept) != len(entities):
                message.set(ENTITIES, kept, add_to_output=True)
        return messages
