"""bot.rasa.tracker_store.ConversationStore writes and reads exactly what Rasa's SQLTrackerStore does,
on SQLite and on the local PostgreSQL."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered

from bot.rasa.tracker_store import ConversationStore
from tests.support.pg import throwaway_database

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(ROOT / "domain.yml")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tracker.db'}"
        return
    with throwaway_database("zct_ts") as url:
        yield url


def turns(start: float):
    """Two turns of one session, then a new session started in the middle of a turn."""
    user = {"intent": {"name": "ask_guaranteed_loan", "confidence": 0.98}, "entities": []}
    return [
        [ActionExecuted("action_session_start", timestamp=start), SessionStarted(timestamp=start + 1),
         ActionExecuted("action_listen", timestamp=start + 2),
         UserUttered("创业担保贷款能贷多少", user, timestamp=start + 3),
         SlotSet("current_family", "ask_guaranteed_loan", timestamp=start + 4),
         ActionExecuted("action_answer_policies", timestamp=start + 5),
         BotUttered("最高 30 万元", timestamp=start + 6), ActionExecuted("action_listen", timestamp=start + 7)],
        [UserUttered("谢谢", {"intent": {"name": "thank", "confidence": 0.99}}, timestamp=start + 8),
         ActionExecuted("utter_thank", timestamp=start + 9), BotUttered("不客气！", timestamp=start + 10),
         ActionExecuted("action_listen", timestamp=start + 11)],
        [ActionExecuted("action_session_start", timestamp=start + 100), SessionStarted(timestamp=start + 101),
         SlotSet("current_family", "ask_guaranteed_loan", timestamp=start + 102),
         ActionExecuted("action_listen", timestamp=start + 103),
         UserUttered("你好", {"intent": {"name": "greet", "confidence": 0.99}}, timestamp=start + 104)],
    ]


async def converse(store, sender: str) -> None:
    """What Rasa's processor does: get or create, add a turn's events, save (twice in the last)."""
    for i, events in enumerate(turns(1_700_000_000.0)):
        tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
        for event in events[:3]:
            tracker.update(event)
        if i == 2:
            await store.save(tracker)  # a save in the middle of a turn (log_message)
        for event in events[3:]:
            tracker.update(event)
        await store.save(tracker)


def rows(url: str, sender: str):
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        result = conn.execute(sa.text("SELECT type_name, timestamp, intent_name, action_name, data FROM events "
                                      "WHERE sender_id = :s ORDER BY id"), {"s": sender}).fetchall()
    engine.dispose()
    return [tuple(r) for r in result]


def test_same_rows_and_same_trackers_as_rasa(db_url):
    ours, rasas = ConversationStore(domain=DOMAIN, host=db_url), SQLTrackerStore(domain=DOMAIN, host=db_url)
    asyncio.run(converse(ours, "ours"))
    asyncio.run(converse(rasas, "rasa"))

    written, rasa_written = rows(db_url, "ours"), rows(db_url, "rasa")
    events = [e for turn in turns(1_700_000_000.0) for e in turn]
    assert len(written) == len(events)  # every event once
    # Up to the mid-turn save after a new session, row for row what Rasa writes. After it Rasa
    # writes the older events of the conversation a second time (it counts stored events since
    # the latest session start); ours writes only the two new ones.
    assert written[:15] == rasa_written[:15]
    assert [(r[0], r[1]) for r in written[15:]] == [("action", 1_700_000_103.0), ("user", 1_700_000_104.0)]

    for sender in ("ours", "rasa"):  # both read the latest session only, the same way
        mine, theirs = asyncio.run(ours.retrieve(sender)), asyncio.run(rasas.retrieve(sender))
        assert [e.as_dict() for e in mine.events] == [e.as_dict() for e in theirs.events]
        assert [type(e).__name__ for e in mine.events][:2] == ["SessionStarted", "SlotSet"]
        assert mine.get_slot("current_family") == "ask_guaranteed_loan"
    assert asyncio.run(ours.retrieve("nobody")) is None


def test_a_new_conversation_is_written_only_with_its_events(db_url):
    store = ConversationStore(domain=DOMAIN, host=db_url)
    tracker = asyncio.run(store.get_or_create_tracker("new-owner", append_action_listen=False))
    assert rows(db_url, "new-owner") == []
    tracker.update(ActionExecuted("action_listen"))
    asyncio.run(store.save(tracker))
    asyncio.run(store.save(tracker))  # nothing new: nothing written
    assert [r[3] for r in rows(db_url, "new-owner")] == ["action_listen"]
    created = asyncio.run(store.get_or_create_tracker("listening-owner"))  # Rasa's API default
    assert [e.as_dict() for e in asyncio.run(store.retrieve("listening-owner")).events] == \
        [e.as_dict() for e in created.events]
