"""Our NLU component: canonical profile values after Rasa's EntitySynonymMapper.

Numbers said in words become numbers ("三个员工" → 3, "月流水五万" → 5 万元) with cn2an, and
vocabulary entities that the synonym table missed are mapped by policies_kb.normalize (or
dropped, so a wrong word never lands in the owner's profile).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES
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

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            entities = [self.normalize_entity(e) for e in message.get(ENTITIES, [])]
            message.set(ENTITIES, [e for e in entities if e is not None], add_to_output=True)
        return messages

