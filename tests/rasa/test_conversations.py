"""bot.rasa.conversations on rows written by Rasa's own SQL tracker store."""
from __future__ import annotations

import asyncio
import datetime as dt
import time

from rasa.core.tracker_store import AwaitableTrackerStore, FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered

from bot.rasa import conversations
from tests.web.admin_helpers import write_conversations


def _db(tmp_path):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    now = time.time()
    write_conversations(url, {
        "old": [UserUttered("去年问过", {"name": "greet"}, timestamp=now - 400 * 86400)],
        "new": [UserUttered("社保能缓缴吗", {"name": "ask_social_insurance"}, timestamp=now),
                ActionExecuted("action_fallback_options", timestamp=now + 1),
                ActionExecuted("utter_greet", timestamp=now + 2),
                SlotSet("matched_policies", ["ssf_deferral_2025"], timestamp=now + 3)],
    })
    return url, now


def test_event_rows_keep_user_turns_and_the_named_actions_and_slots(tmp_path):
    url, now = _db(tmp_path)
    engine = conversations.get_engine(url)
    since = dt.datetime.fromtimestamp(now - 86400, dt.timezone.utc)
    rows = conversations.event_rows(engine, since=since, actions=["action_fallback_options"], slots=["matched_policies"])
    assert [(r["sender_id"], r["type_name"]) for r in rows] == [("new", "user"), ("new", "action"), ("new", "slot")]
    assert conversations.event_rows(conversations.get_engine(f"sqlite:///{tmp_path / 'empty.db'}"),
                                    since=None, actions=[], slots=[]) == []


def test_purge_before_counts_then_deletes(tmp_path):
    url, now = _db(tmp_path)
    engine = conversations.get_engine(url)
    cutoff = dt.datetime.fromtimestamp(now - 86400, dt.timezone.utc)
    assert conversations.purge_before(engine, cutoff, dry_run=True) >= 1
    deleted = conversations.purge_before(engine, cutoff)
    assert deleted >= 1 and conversations.purge_before(engine, cutoff, dry_run=True) == 0


def test_the_store_is_found_behind_rasas_wrappers_and_asked_for_a_slot(tmp_path):
    url, _ = _db(tmp_path)
    sql = SQLTrackerStore(Domain.empty(), host=url)
    wrapped = FailSafeTrackerStore(AwaitableTrackerStore(sql))
    assert conversations.sql_store(wrapped) is sql
    assert conversations.tracker_engine(type("Agent", (), {"tracker_store": wrapped})()) is sql.engine
    assert asyncio.run(conversations.senders_with_slot(wrapped, "matched_policies")) == ["new"]


def test_without_a_running_server_the_configured_database_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_DB_URL", f"sqlite:///{tmp_path / 'configured.db'}")
    assert str(conversations.tracker_engine().url).endswith("configured.db")
