"""Rasa's SQL tracker store doing less work per turn; same table, same rows.

Measured on the Rasa server at concurrency 10, the SQL store took about a third of its time per
turn. Rasa 3.6 `SQLTrackerStore.save` counts the conversation's stored events (a query with a
sub-query) to find the new ones, saves brand-new empty trackers (a count and a commit that write
nothing), inserts through the ORM unit of work, and opens a new SQLite connection per session.
Here:
- the latest session is read with one plain SQL statement;
- a tracker read or saved through this store remembers how many of its events are stored, so
  `save` writes the rest without asking (a tracker from elsewhere falls back to Rasa's count;
  Rasa's lock store lets one process handle a conversation at a time, so the count cannot go
  stale between reading and saving);
- an empty tracker is not written; new events go in with one multi-row INSERT;
- SQLite (the embedded default) keeps its connections (a pool) and runs in WAL mode with
  `synchronous=NORMAL`: a crash or restart of the server loses nothing, only a power cut may
  lose the last commits. PostgreSQL keeps Rasa's settings.
- a database that cannot be opened at start (corrupt file, server down) no longer stops the Rasa
  server: the store starts broken, every read or write tries to open it again, and until then the
  channels refuse politely (`bot.rasa.guards`, installed here, stops Rasa's silent fall-back to
  memory).

endpoints.yml: `tracker_store: {type: bot.rasa.tracker_store.ConversationStore}`. Without a `url` (or `db`)
there, the database is TRACKER_DB_URL from the environment, else the SQLite file `var/tracker.db`
in the folder Rasa runs in (the project folder), so plain `rasa run` / `rasa shell` need no
variables. Building the store also installs `bot.rasa.action_endpoint` (ACTION_SERVER_URL / _TOKEN) and
`bot.rasa.speedups` (action response validation).
"""
from __future__ import annotations

import itertools
import json
import logging
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.pool import QueuePool

from bot.rasa import action_endpoint, guards, speedups
from bot.settings import Settings

logger = logging.getLogger(__name__)

_STORED = "_zct_stored_events"  # attribute on a tracker: how many of its events are in the table
# Plain SQL: the ORM query Rasa builds spends more time computing its cache key than the
# database spends answering it.
_LATEST_SESSION = sa.text(
    "SELECT events.data FROM events WHERE events.sender_id = :sender_id AND ("
    " events.timestamp >= (SELECT max(s.timestamp) FROM events s"
    "  WHERE s.sender_id = :sender_id AND s.type_name = 'session_started')"
    " OR NOT EXISTS (SELECT 1 FROM events s"
    "  WHERE s.sender_id = :sender_id AND s.type_name = 'session_started'))"
    " ORDER BY events.id")

DEFAULT_SQLITE_FILE = Path("var") / "tracker.db"  # relative to the folder Rasa runs in


def database_url(env: Optional[Dict[str, str]] = None) -> str:
    """TRACKER_DB_URL, or the embedded default (SQLite under var/, the folder made if missing)."""
    url = Settings.from_env(env).tracker_db_url
    if url:
        return url
    DEFAULT_SQLITE_FILE.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE_FILE.resolve()}"


class ConversationStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        guards.install()
        action_endpoint.install()
        speedups.install()
        if len(args) < 3 and not kwargs.get("host") and "db" not in kwargs:
            kwargs["host"] = database_url()  # endpoints.yml gives no database
        self._broken: Optional[Exception] = None
        try:
            super().__init__(*args, **kwargs)
        except sa.exc.DatabaseError as exc:  # corrupt file, not a database, permission denied …
            logger.error("tracker store: cannot open the conversation database (%s); conversations are refused "
                         "until it can be opened", exc)
            self._broken = exc
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
            TrackerStore.__init__(self, kwargs.get("domain"), kwargs.get("event_broker"))
            return
        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            url = self.engine.url
            self.engine.dispose()
            # One event loop thread uses the connections, one at a time.
            self.engine = sa.create_engine(url, poolclass=QueuePool, connect_args={"check_same_thread": False})
            sa.event.listen(self.engine, "connect", _sqlite_wal)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def _ensure_open(self) -> None:
        """Retry a database that failed at start; raises while it still fails."""
        if self._broken is None:
            return
        self.Base.metadata.create_all(self.engine)
        logger.warning("tracker store: the conversation database opened after an earlier failure")
        self._broken = None

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The latest session's events, as Rasa's `_event_query` selects them."""
        self._ensure_open()
        with self.session_scope() as session:
            rows = session.execute(_LATEST_SESSION, {"sender_id": sender_id}).fetchall()
        if not self.domain or not rows:
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, [json.loads(data) for (data,) in rows], self.domain.slots)
        setattr(tracker, _STORED, len(rows))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        if not tracker.events and getattr(tracker, _STORED, None) is None:
            setattr(tracker, _STORED, 0)  # a brand-new conversation: nothing to write yet
            return
        self._ensure_open()
        await self.stream_events(tracker)
        with self.session_scope() as session:
            rows = [_row(tracker.sender_id, event) for event in self._additional_events(session, tracker)]
            if rows:
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()
        setattr(tracker, _STORED, len(tracker.events))

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        stored = getattr(tracker, _STORED, None)
        if stored is None:
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))


def _row(sender_id: Text, event: Event) -> Dict[Text, Any]:
    """The columns Rasa's SQLTrackerStore.save writes for an event."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
