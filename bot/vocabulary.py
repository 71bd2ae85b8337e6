"""The conversation's vocabulary, one home each: intent titles (data/vocab/intents.yml) and the
profile fields the bot keeps as slots (policies_kb/profile_schema.json).

The bot's fallback buttons, the hotline console and the admin analytics all name intents from
here, so an admin renames an intent in one file and every page says the same.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from policies_kb import profile

INTENTS_FILE = Path(__file__).resolve().parent.parent / "data" / "vocab" / "intents.yml"


@lru_cache(maxsize=1)
def _intents() -> Dict[str, Dict[str, object]]:
    data = yaml.safe_load(INTENTS_FILE.read_text(encoding="utf-8")) or {}
    return {name: dict(spec or {}) for name, spec in (data.get("intents") or {}).items()}


def intent_names() -> List[str]:
    return list(_intents())


def intent_title(intent: Optional[str]) -> str:
    """The Chinese name of an intent; the raw name when the file does not know it."""
    if not intent:
        return "—"
    return str(_intents().get(intent, {}).get("title") or intent)


def offered_intents() -> List[str]:
    """Intents the bot may offer back as choices when it did not understand."""
    return [name for name, spec in _intents().items() if spec.get("offer")]


def profile_slots() -> List[str]:
    """Slots that hold the owner's profile: the schema's top-level fields, in its order."""
    return list(profile.schema()["properties"])
