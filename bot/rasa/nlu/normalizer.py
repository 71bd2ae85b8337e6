"""Our NLU component: canonical profile values after Rasa's EntitySynonymMapper.

Numbers said in words become numbers ("三个员工" → 3, "月流水五万" → 5 万元) with cn2an, and
vocabulary entities that the synonym table missed are mapped by policies_kb.normalize (or
dropped, so a wrong word never lands in the owner's profile). Places DIET cut in two where the
owner wrote one ("南京市" + "江宁区") become one region, as parse_region reads it.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from policies_kb import normalize

NUMBER_ENTITIES = {"employees": normalize.parse_count, "monthly_sales": normalize.parse_wan,
                   "annual_sales": normalize.parse_wan}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class ProfileEntityNormalizer(GraphComponent):
    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "ProfileEntityNormalizer":
        return cls()

    @staticmethod
    def normalize_entity(entity: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        name, value = entity.get("entity"), entity.get("value")
        if name in NUMBER_ENTITIES:
            number = NUMBER_ENTITIES[name](value)
            if number is None:
                return None
            return {**entity, "value": number}
        if name in normalize.ENTITY_FIELDS:
            word = normalize.canonical(normalize.ENTITY_FIELDS[name], value)
            if word is None:
                return None
            return {**entity, "value": word}
        return entity

    @staticmethod
    def merge_regions(text: str, entities: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """Region entities that touch in the text ("北京" + "朝阳区") are one place."""
        out: List[Dict[str, Any]] = []
        for entity in sorted(entities, key=lambda e: (e.get("start") is None, e.get("start") or 0)):
            last = out[-1] if out else None
            if (last is not None and entity.get("entity") == "region" == last.get("entity")
                    and entity.get("start") is not None and last.get("end") is not None
                    and 0 <= entity["start"] - last["end"] <= 1 and text[last["end"]:entity["start"]] in ("", "市", "省")):
                out[-1] = {**last, "end": entity["end"], "value": text[last["start"]:entity["end"]]}
                continue
            out.append(entity)
        return out

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            entities = [self.normalize_entity(e) for e in message.get(ENTITIES, [])]
            entities = self.merge_regions(message.get(TEXT) or "", [e for e in entities if e is not None])
            message.set(ENTITIES, entities, add_to_output=True)
        return messages

