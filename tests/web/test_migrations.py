"""The consoles' tables have their own Alembic history; databases from before the split keep
their accounts and move over without a manual step (SQLite and PostgreSQL)."""
from __future__ import annotations

import sqlalchemy as sa

from bot.web import accounts
from bot.web.db import VERSION_TABLE, migrate
from policies_kb.db import session_scope
from tests.support.pg import throwaway_database


def _versions(url):
    engine = sa.create_engine(url, future=True)
    with engine.connect() as conn:
        kb = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        web = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    engine.dispose()
    return kb, web


def _as_before_the_split(url):
    """What the old single history left: the knowledge base and the accounts, recorded as the
    knowledge base's 0002 — none of the consoles' later tables."""
    engine = sa.create_engine(url, future=True)
    old = {"alembic_version", "policies", "policy_versions", "audit_log", "kb_meta", "users", "web_sessions",
           "login_attempts"}
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0002'"))
        for table in set(sa.inspect(conn).get_table_names()) - old:
            conn.execute(sa.text(f"DROP TABLE {table}"))
    engine.dispose()


def _check_split_and_legacy(url):
    migrate(url)
    migrate(url)  # twice is harmless
    kb, web = _versions(url)
    assert kb == "0001" and web.startswith("w")
    with session_scope(url) as session:
        accounts.create_user(session=session, username="li.si", password="correct horse 1", role="staff")
    _as_before_the_split(url)
    migrate(url)
    assert _versions(url) == (kb, web)
    with session_scope(url) as session:
        assert accounts.get_user(session=session, username="li.si") is not None


def test_sqlite_database_before_the_split_keeps_its_accounts(tmp_path):
    _check_split_and_legacy(f"sqlite:///{tmp_path / 'zct.db'}")


def test_postgres_database_before_the_split_keeps_its_accounts():
    with throwaway_database() as url:
        _check_split_and_legacy(url)
        from policies_kb.db import get_engine

        get_engine.cache_clear()
