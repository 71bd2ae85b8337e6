"""Repair sound-alike misspellings of domain words before tokenizing (设保 → 社保, 单保贷款 → 担保贷款).

Owners type with pinyin input methods, so a wrong character usually sounds like the right one.
A span is replaced by a domain word (bot.rasa.nlu.vocab.terms) when every character can be read with
the word's syllable (flat tones, z/zh c/ch s/sh n/l an/ang en/eng in/ing alike), at least one
character is already right, at most half differ, and the span is not itself a word jieba knows
(事业 stays 事业 though it sounds like 失业). Replacements keep the length, so entity offsets
in training data stay valid.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Dict, FrozenSet, List, Optional, Text, Tuple

from pypinyin import Style, lazy_pinyin, pinyin
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.rasa.nlu import vocab as nlu_vocab

_FUZZY = ((re.compile(r"^([zcs])h"), r"\1"), (re.compile(r"^l"), "n"), (re.compile(r"([aei]n)g$"), r"\1"))
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _fuzzy(syllable: str) -> str:
    for pattern, repl in _FUZZY:
        syllable = pattern.sub(repl, syllable)
    return syllable


@lru_cache(maxsize=8192)
def readings(char: str) -> FrozenSet[str]:
    """The usual flat-tone reading of one character, fuzzed; empty for non-Chinese characters.
    (Rare readings would make 帮不帮 sound like 帮扶.)"""
    if not _HAN.match(char):
        return frozenset()
    return frozenset(_fuzzy(s) for s in lazy_pinyin(char, style=Style.NORMAL))


# Characters too common to be the wrong one in a two-character word (的事 is not 的士).
_FUNCTION = set("的地得是了不在有我你他她它这那就都也和与或吗呢吧啊呀嘛么个们子事人说要会能")


class Repairer:
    """The index of domain words by the sound of their first two characters."""

    def __init__(self, words) -> None:
        self.index: Dict[Tuple[str, str], List[Tuple[str, Tuple[str, ...]]]] = {}
        for word in words:
            sound = tuple(_fuzzy(s) for s in lazy_pinyin(word, style=Style.NORMAL))
            if len(sound) == len(word):
                self.index.setdefault(sound[:2], []).append((word, sound))
        for bucket in self.index.values():
            bucket.sort(key=lambda item: -len(item[0]))  # longest word first
        self.known = self._jieba_words()

    @staticmethod
    def _jieba_words():
        import jieba

        jieba.initialize()
        if nlu_vocab.USERDICT.exists():
            jieba.load_userdict(str(nlu_vocab.USERDICT))  # as the JiebaTokenizer does, whichever runs first
        known = {w for w, n in jieba.dt.FREQ.items() if n}
        # The user dictionary's own entries (misspelt 说法 included) whether or not it is loaded yet.
        if nlu_vocab.USERDICT.exists():
            known |= {line.split()[0] for line in nlu_vocab.USERDICT.read_text(encoding="utf-8").splitlines()
                      if line.strip()}
        return known

    def _fits(self, span: str, word: str, sound: Tuple[str, ...]) -> bool:
        wrong = sum(a != b for a, b in zip(span, word))
        if wrong == 0 or wrong > len(word) // 2:
            return False
        if len(word) == 2 and _FUNCTION & set(span):
            return False
        if not all(s in readings(c) for c, s in zip(span, sound)):
            return False
        return span not in self.known

    def _cuts_a_word(self, words: List[Tuple[int, int]], start: int, end: int) -> bool:
        """A known word jieba reads across the span's edge (是多少: 是多 would cut 多少)."""
        return any(a < end and start < b and (a < start or b > end) for a, b in words)

    def repair(self, text: str) -> str:
        import jieba

        words = [(a, b) for w, a, b in jieba.tokenize(text) if len(w) > 1 and w in self.known]
        out, i = list(text), 0
        while i < len(text) - 1:
            match: Optional[str] = None
            for first in readings(text[i]):
                for second in readings(text[i + 1]):
                    for word, sound in self.index.get((first, second), ()):
                        span = text[i:i + len(word)]
                        if len(span) == len(word) and (span == word or (
                                self._fits(span, word, sound) and not self._cuts_a_word(words, i, i + len(word)))):
                            if match is None or len(word) > len(match):
                                match = word
                            break
            if match:
                out[i:i + len(match)] = match
                i += len(match)
            else:
                i += 1
        return "".join(out)


@lru_cache(maxsize=1)
def repairer() -> Repairer:
    return Repairer(nlu_vocab.terms())


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class HomophoneNormalizer(GraphComponent):
    """Runs before the tokenizer: rewrites the message text (the tracker keeps what was typed)."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "HomophoneNormalizer":
        return cls()

    @staticmethod
    def _normalize(message: Message) -> None:
        text = message.get(TEXT)
        if not text:
            return
        fixed = repairer().repair(text)
        if fixed == text:
            return
        message.set(TEXT, fixed)
        for entity in message.get(ENTITIES) or []:
            # Annotated values that were the typed span follow the repair (synonyms stay as written).
            start, end = entity.get("start"), entity.get("end")
            if start is not None and entity.get("value") == text[start:end]:
                entity["value"] = fixed[start:end]

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._normalize(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._normalize(message)
        return messages
