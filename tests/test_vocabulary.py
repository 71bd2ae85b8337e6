"""Each vocabulary has one home: the domain, the consoles and the actions agree with it."""
from __future__ import annotations

from pathlib import Path

import yaml

from actions.common import PROFILE_SLOTS
from bot import vocabulary
from policies_kb import profile

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def test_every_domain_intent_has_a_title_and_no_title_is_stale():
    intents = set(DOMAIN["intents"])
    titled = set(vocabulary.intent_names()) - {"nlu_fallback"}  # Rasa's own fallback intent
    assert intents == titled
    assert all(vocabulary.intent_title(name) != name for name in intents)


def test_offered_intents_are_questions_the_bot_answers():
    offered = vocabulary.offered_intents()
    assert "find_policies" in offered and "request_human" in offered
    assert not {"greet", "goodbye", "inform_profile", "nlu_fallback"} & set(offered)


def test_an_unknown_intent_keeps_its_name():
    assert vocabulary.intent_title("something_new") == "something_new"
    assert vocabulary.intent_title(None) == "—"


def test_domain_questions_are_the_profile_schemas_questions():
    specs = profile.schema()["properties"]
    for name, spec in specs.items():
        asked = DOMAIN["responses"][f"utter_ask_{name}"][0]["text"]
        assert asked == spec["x-question"], name


def test_profile_slots_come_from_the_schema_and_exist_in_the_domain():
    assert PROFILE_SLOTS == list(profile.schema()["properties"])
    assert set(PROFILE_SLOTS) <= set(DOMAIN["slots"])
