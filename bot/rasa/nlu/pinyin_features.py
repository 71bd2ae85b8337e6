"""Sound features for DIET: the pinyin of a message beside its characters, so 设保 and 社保 look alike.

bot.rasa.nlu.pinyin repairs misspelt *domain words* it can be sure of; everything else an owner types
with a pinyin IME (蟹蟹, 泥好, 转仁工, 带款) keeps its wrong characters. This featurizer reads every
Chinese character with its usual flat-tone syllable, fuzzed the same way (z/zh, c/ch, s/sh, n/l,
an/ang …), and gives DIET syllable unigrams and bigrams: on each token (its own syllables) and on
the sentence (every syllable and each pair of neighbours). The vocabulary is what the training
data contains, so an unseen syllable pair at parse time adds nothing rather than noise.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text, Type

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
import rasa.shared.utils.io

from bot.rasa.nlu.pinyin import readings

logger = logging.getLogger(__name__)


def syllables(text: str) -> List[Optional[str]]:
    """One fuzzed syllable per character; None where the character is not Chinese (a break)."""
    out: List[Optional[str]] = []
    for char in text:
        sounds = readings(char)
        out.append(min(sounds) if sounds else None)
    return out


def grams(sounds: List[Optional[str]]) -> List[str]:
    """Syllable unigrams and bigrams of neighbouring Chinese characters."""
    out = [f"u:{s}" for s in sounds if s]
    out += [f"b:{a}_{b}" for a, b in zip(sounds, sounds[1:]) if a and b]
    return out


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class PinyinFeaturizer(SparseFeaturizer, GraphComponent):
    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # min_count: a syllable pair seen once in training is mostly one sentence's noise.
        return {**SparseFeaturizer.get_default_config(), "min_count": 2}

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        """Nothing beyond min_count to check."""

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 vocabulary: Optional[Dict[str, int]] = None) -> None:
        super().__init__(resource.name, config)
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary = vocabulary or {}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "PinyinFeaturizer":
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "PinyinFeaturizer":
        try:
            with model_storage.read_from(resource) as model_dir:
                vocabulary = rasa.shared.utils.io.read_json_file(model_dir / "pinyin_vocabulary.json")
        except (ValueError, FileNotFoundError) as error:
            # Without its vocabulary the featurizer adds nothing; DIET would then see fewer features
            # than it was trained on and fail loudly, which is what we want.
            logger.error("PinyinFeaturizer: no vocabulary in the model (%s)", error)
            vocabulary = {}
        return cls(config, model_storage, resource, vocabulary)

    def train(self, training_data: TrainingData) -> Resource:
        counts: Dict[str, int] = {}
        for example in training_data.training_examples:
            for gram in grams(syllables(example.get(TEXT) or "")):
                counts[gram] = counts.get(gram, 0) + 1
        kept = sorted(g for g, n in counts.items() if n >= self._config["min_count"])
        self.vocabulary = {g: i for i, g in enumerate(kept)}
        logger.debug("PinyinFeaturizer: %d syllable grams", len(self.vocabulary))
        with self._model_storage.write_to(self._resource) as model_dir:
            rasa.shared.utils.io.dump_obj_as_json_to_file(model_dir / "pinyin_vocabulary.json", self.vocabulary)
        return self._resource

    def _row(self, items: List[str]) -> List[int]:
        return [self.vocabulary[g] for g in items if g in self.vocabulary]

    def _featurize(self, message: Message) -> None:
        text = message.get(TEXT)
        tokens = message.get(TOKENS_NAMES[TEXT], [])
        if not text or not tokens or not self.vocabulary:
            return
        width = len(self.vocabulary)
        sounds = syllables(text)
        rows, cols = [], []
        for row, token in enumerate(tokens):
            for col in self._row(grams(sounds[token.start:token.end])):
                rows.append(row)
                cols.append(col)
        sequence = scipy.sparse.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(tokens), width))
        sentence_cols = self._row(grams(sounds))
        sentence = scipy.sparse.coo_matrix((np.ones(len(sentence_cols)), ([0] * len(sentence_cols), sentence_cols)),
                                           shape=(1, width))
        # Repeated grams sum, as CountVectorsFeaturizer counts do.
        self.add_features_to_message(sequence.tocsr().tocoo(), sentence.tocsr().tocoo(), TEXT, message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._featurize(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._featurize(message)
        return messages
