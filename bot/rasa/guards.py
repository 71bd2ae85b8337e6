"""Rasa 3.6 made to fail loudly and politely instead of silently.

Two behaviours of Rasa 3.6 left an owner with nothing, or with a wrong answer:
* the agent wraps every tracker store in `FailSafeTrackerStore`, which on a database error logs
  and carries on in memory: a read-only or broken database meant the owner was answered from an
  empty profile and what they said was forgotten. `StrictTrackerStore` raises
  `ConversationStoreUnavailable` instead, and the channels answer with a clear refusal;
* a custom action whose server is down raised inside the processor, which drops the action's
  events (REST `[]`, WeChat "success"), and a hung action server held the turn for 300 s. Each
  remote action now has a time limit (ZCT_ACTION_TIMEOUT, default 5 s) and a failed one says
  `utter_service_unavailable` once per turn; later remote actions of that turn are skipped.

Both replace Rasa internals, so they are installed only on the Rasa version they were written
against (`install()` checks it and logs when it does not patch).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, List, Optional, Text

import rasa
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.core.agent import Agent
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.events import BotUttered, Event, UserUttered
from rasa.shared.exceptions import RasaException

from bot.settings import Settings

logger = logging.getLogger(__name__)

SUPPORTED_RASA = "3.6."
UNAVAILABLE_RESPONSE = "utter_service_unavailable"
_MARK = "zct_service_unavailable"  # BotUttered metadata: the apology of this turn was sent


class ConversationStoreUnavailable(RasaException):
    """The conversation database cannot be read or written; the turn must not go on."""


class StrictTrackerStore(FailSafeTrackerStore):
    """Rasa's wrapper without the silent fall-back to memory."""

    async def retrieve(self, sender_id: Text) -> Any:
        try:
            return await self._tracker_store.retrieve(sender_id)
        except Exception as exc:
            raise ConversationStoreUnavailable(f"retrieve {sender_id!r}: {exc}") from exc

    async def retrieve_full_tracker(self, sender_id: Text) -> Any:
        try:
            return await self._tracker_store.retrieve_full_tracker(sender_id)
        except Exception as exc:
            raise ConversationStoreUnavailable(f"retrieve {sender_id!r}: {exc}") from exc

    async def save(self, tracker: Any) -> None:
        try:
            await self._tracker_store.save(tracker)
        except Exception as exc:
            raise ConversationStoreUnavailable(f"save {tracker.sender_id!r}: {exc}") from exc

    async def keys(self) -> Any:
        try:
            return await self._tracker_store.keys()
        except Exception as exc:
            raise ConversationStoreUnavailable(f"keys: {exc}") from exc


def action_timeout() -> float:
    return Settings.from_env().action_timeout


def _apologised_this_turn(tracker: Any) -> bool:
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, BotUttered) and (event.metadata or {}).get(_MARK):
            return True
    return False


_rasa_remote_run = RemoteAction.run


async def _guarded_run(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Event]:
    if _apologised_this_turn(tracker):
        return []  # the action server already failed this turn: do not wait for it again
    try:
        return await asyncio.wait_for(_rasa_remote_run(self, output_channel, nlg, tracker, domain), action_timeout())
    except ActionExecutionRejection:
        raise  # a form's "not me" answer is part of the dialogue, not a failure
    except (asyncio.TimeoutError, RasaException, OSError) as exc:
        logger.error("action server failed for %s (%s): %r", self.name(), tracker.sender_id, exc)
    message = await nlg.generate(UNAVAILABLE_RESPONSE, tracker, output_channel.name())
    if not message:
        return []
    event = create_bot_utterance(dict(message))
    event.metadata = {**(event.metadata or {}), _MARK: True}
    return [event]


def _strict_tracker_store(store: Optional[Any], domain: Any) -> Any:
    if store is None:
        return _rasa_create_tracker_store(store, domain)  # Rasa's own in-memory default
    store.domain = domain
    return StrictTrackerStore(store)


_rasa_create_tracker_store = Agent._create_tracker_store
_installed = False


def install() -> bool:
    """Patch Rasa once; False (and a warning) on a Rasa version these guards were not written for."""
    global _installed
    if _installed:
        return True
    if not rasa.__version__.startswith(SUPPORTED_RASA):
        logger.warning("bot.rasa.guards: Rasa %s is not %sx; store and action guards NOT installed",
                       rasa.__version__, SUPPORTED_RASA)
        return False
    Agent._create_tracker_store = staticmethod(_strict_tracker_store)
    RemoteAction.run = _guarded_run
    _installed = True
    return True
