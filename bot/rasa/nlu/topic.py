"""Topic evidence for DIET: which policy families a message names, from the knowledge base.

One feature per family (bot.rasa.nlu.vocab.family_topics): on the sentence when any of the family's
words occurs in the text, on each token that a match overlaps. "某地在社保方面有哪些政策" then
carries the social-insurance feature whatever the sentence around 社保 looks like, and a policy
added to policies_kb/ brings its keywords along at the next training.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Dict, List, Pattern, Text, Tuple, Type

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.rasa.nlu import vocab as nlu_vocab


@lru_cache(maxsize=1)
def patterns() -> List[Tuple[str, Pattern]]:
    """(family, one alternation of its words, longest first), families in a fixed order."""
    out = []
    for family, words in sorted(nlu_vocab.family_topics().items()):
        ordered = sorted(words, key=lambda w: (-len(w), w))
        out.append((family, re.compile("|".join(re.escape(w) for w in ordered))))
    return out


def families_named(text: str) -> List[str]:
    return [family for family, pattern in patterns() if pattern.search(text or "")]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class TopicFeaturizer(SparseFeaturizer, GraphComponent):
    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return SparseFeaturizer.get_default_config()

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        """Nothing to configure: the words come from the knowledge base."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TopicFeaturizer":
        return cls(execution_context.node_name, config)

    def _featurize(self, message: Message) -> None:
        text = message.get(TEXT)
        tokens = message.get(TOKENS_NAMES[TEXT], [])
        if not text or not tokens:
            return
        sequence = np.zeros([len(tokens), len(patterns())])
        sentence = np.zeros([1, len(patterns())])
        for column, (_, pattern) in enumerate(patterns()):
            for match in pattern.finditer(text):
                sentence[0, column] = 1.0
                for row, token in enumerate(tokens):
                    if token.start < match.end() and token.end > match.start():
                        sequence[row, column] = 1.0
        self.add_features_to_message(scipy.sparse.coo_matrix(sequence), scipy.sparse.coo_matrix(sentence),
                                     TEXT, message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._featurize(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._featurize(message)
        return messages
