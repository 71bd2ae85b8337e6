"""The one reader of Rasa's conversations besides Rasa: its tracker store behind the wrappers,
the SQL engine of the `events` table, and every query the consoles and jobs run on that table.

Rasa's SQL tracker store writes one row per event: the intent of a user event in `intent_name`,
the `name` of any other event (action, slot) in `action_name`. The hotline's handoff queue, the
admin's demand analytics and the retention job all read through here.
"""
from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any, Iterable, List, Mapping, Optional

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from policies_kb.db import get_engine


def sql_store(store: Any) -> Any:
    """The SQL tracker store behind Rasa's wrappers (FailSafe → Awaitable → SQL), or None."""
    for _ in range(4):
        if store is None:
            return None
        if hasattr(store, "SQLEvent") and hasattr(store, "session_scope"):
            return store
        store = getattr(store, "_tracker_store", None)
    return None


def tracker_engine(agent: Any = None) -> Optional[Engine]:
    """The engine of the running server's tracker store, else of the configured tracker database
    (TRACKER_DB_URL, or var/tracker.db as the server would use); None when it keeps no SQL."""
    store = sql_store(getattr(agent, "tracker_store", None)) if agent is not None else None
    if store is not None:
        return store.engine
    from bot.rasa.tracker_store import database_url

    return get_engine(database_url())


def _has_events(engine: Engine) -> bool:
    return inspect(engine).has_table("events")  # Rasa creates it with the first conversation


def event_rows(engine: Engine, *, since: Optional[dt.datetime], actions: Iterable[str],
               slots: Iterable[str]) -> List[Mapping[str, Any]]:
    """User turns, the named actions and slot events since `since`, by conversation then order."""
    actions, slots = list(actions), list(slots)
    if not _has_events(engine):
        return []
    names = {f"a{i}": name for i, name in enumerate(actions)} | {f"s{i}": name for i, name in enumerate(slots)}
    clauses = ["type_name = 'user'"]
    if actions:
        clauses.append(f"(type_name = 'action' AND action_name IN ({', '.join(':a%d' % i for i in range(len(actions)))}))")
    if slots:
        clauses.append(f"(type_name = 'slot' AND action_name IN ({', '.join(':s%d' % i for i in range(len(slots)))}))")
    query = text("SELECT id, sender_id, type_name, timestamp, intent_name, action_name, data FROM events "
                 f"WHERE timestamp >= :since AND ({' OR '.join(clauses)}) ORDER BY sender_id, id")
    with engine.connect() as conn:
        return [row._mapping for row in conn.execute(query, {"since": since.timestamp() if since else 0.0, **names})]


def purge_before(engine: Engine, cutoff: dt.datetime, *, dry_run: bool = False) -> int:
    """Delete events stamped before `cutoff` (aware); how many were (or would be) deleted."""
    if not _has_events(engine):
        return 0
    params = {"cutoff": cutoff.timestamp()}
    with engine.begin() as conn:
        if dry_run:
            return int(conn.execute(text("SELECT count(*) FROM events WHERE timestamp < :cutoff"), params).scalar())
        return conn.execute(text("DELETE FROM events WHERE timestamp < :cutoff"), params).rowcount or 0


async def senders_with_slot(store: Any, slot: str) -> List[str]:
    """Conversations that ever set `slot`; every conversation when the store keeps no SQL."""
    sql = sql_store(store)
    if sql is None:
        return list(await store.keys())

    def query() -> List[str]:
        with sql.session_scope() as session:
            rows = session.query(sql.SQLEvent.sender_id).filter(
                sql.SQLEvent.type_name == "slot", sql.SQLEvent.action_name == slot).distinct().all()
            return [sender for (sender,) in rows]
    return await asyncio.get_running_loop().run_in_executor(None, query)
