"""Speed-ups for Rasa 3.6 that keep its behaviour.

Rasa validates every action server response with `jsonschema.validate`, which first checks
the response schema itself against the JSON Schema 2020-12 metaschema (about 80 ms per custom
action call on a 2-core machine, most of a full turn), then tries each event against all 23
`oneOf` event schemas. The schema never changes: check it once, and validate each event
against the one schema whose `event` constant it names (the constants are distinct, so this is
exactly `oneOf`). `install()` is called at start-up by `bot.rasa.tracker_store.ConversationStore`
(the tracker store endpoints.yml names), beside `bot.rasa.guards.install()`; it patches only the
Rasa version and the function it was written for, and logs and skips otherwise.
"""
from __future__ import annotations

import copy
import logging
from functools import lru_cache
from typing import Any, Dict, Text, Tuple

import rasa
from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

from bot.rasa import guards

logger = logging.getLogger(__name__)
_rasa_validate = RemoteAction._validate_action_result


@lru_cache(maxsize=1)
def _validators() -> Tuple[Any, Dict[Text, Any]]:
    schema = copy.deepcopy(RemoteAction.action_response_format_spec())
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    items = schema["properties"]["events"]["items"]
    by_event = {branch["properties"]["event"]["const"]: cls(branch) for branch in items.pop("oneOf")}
    return cls(schema), by_event


def _validate(result: Dict[Text, Any]) -> None:
    outer, by_event = _validators()
    outer.validate(result)  # the shape, and the fields every event has
    for event in result.get("events") or []:
        branch = by_event.get(event["event"])
        if branch is None:
            raise ValidationError(f"{event!r} is not valid under any of the given schemas")
        branch.validate(event)


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    try:
        _validate(result)
        return True
    except ValidationError as e:  # the same message Rasa gives
        e.message += (". Failed to validate Action server response from API, make sure your response "
                      f"from the Action endpoint is valid. For more information about the format visit "
                      f"{DOCS_BASE_URL}/custom-actions")
        raise e


def install() -> bool:
    """Replace Rasa's response validation (validators built now, not on the first turn); False,
    with a warning, when Rasa or the function is not the one this was written for."""
    if RemoteAction._validate_action_result is _validate_action_result:
        return True
    expected = getattr(_rasa_validate, "__module__", "") == "rasa.core.actions.action"
    if not rasa.__version__.startswith(guards.SUPPORTED_RASA) or not expected:
        logger.warning("bot.rasa.speedups: Rasa %s / %r is not what this was written for; not installed",
                       rasa.__version__, _rasa_validate)
        return False
    _validators()
    RemoteAction._validate_action_result = _validate_action_result
    return True
