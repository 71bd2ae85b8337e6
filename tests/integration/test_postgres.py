"""Production profile: knowledge base and tracker store on the local PostgreSQL."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
import requests
import sqlalchemy as sa

from bot.channels.rest import conversation_id
from tests.support import servers
from tests.support.pg import throwaway_database


@pytest.fixture(scope="module")
def pg_database():
    """A throw-away database; skipped when no PostgreSQL listens on 127.0.0.1:5432."""
    with throwaway_database() as url:
        yield url
        from policies_kb.db import get_engine

        get_engine.cache_clear()


def test_knowledge_base_on_postgres(pg_database):
    from policies_kb import loader, queries, workflow
    from policies_kb.db import migrate, session_scope
    from policies_kb.matcher import match

    migrate(pg_database)
    with session_scope(pg_database) as session:
        report = workflow.import_files(session=session, paths=loader.policy_files(), actor="pg-test")
    assert len(report["created"]) == len(loader.policy_files())
    result = match({"entity_type": "个体工商户", "identities": ["退役军人"]}, dt.date(2026, 6, 1), url=pg_database)
    assert result.get("startup_guaranteed_loan").status == "eligible"
    with session_scope(pg_database) as session:
        assert queries.file_diff(session=session)["in_sync"]


@pytest.mark.integration
def test_conversation_kept_in_postgres_tracker_store(pg_database, trained_model):
    from policies_kb import loader, queries, workflow
    from policies_kb.db import migrate, session_scope

    migrate(pg_database)
    with session_scope(pg_database) as session:
        workflow.import_files(session=session, paths=loader.policy_files(), actor="pg-test")
    env = {"DATABASE_URL": pg_database, "TRACKER_DB_URL": pg_database}
    actions = servers.start_action_server(env=env)
    rasa = servers.start_rasa_server(trained_model, action_url=f"{actions.url}/webhook", env=env)
    try:
        sender = f"pg-{uuid.uuid4().hex[:6]}"
        reply = requests.post(f"{rasa.url}/webhooks/rest/webhook",
                              json={"sender": sender, "message": "我是退伍军人开面馆的个体户，创业担保贷款能贷多少"}, timeout=60)
        assert "30 万" in "".join(m.get("text") or "" for m in reply.json())
    finally:
        rasa.stop()
        actions.stop()
    engine = sa.create_engine(pg_database, future=True)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": conversation_id(sender)}).scalar()
    engine.dispose()
    assert count > 3
