"""The consoles' schema: the knowledge base's migrations, then the consoles' own.

The two histories live apart (policies_kb/migrations, bot/web/migrations with the version table
`zct_web_version`). Run at server start (bot.web.channel) and by `python -m bot users`, never
inside a request.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from sqlalchemy import inspect, text

from policies_kb import db as kb_db

VERSION_TABLE = "zct_web_version"
# Databases made before the split recorded the accounts as the knowledge base's revision 0002.
_LEGACY_KB_REVISION, _LEGACY_WEB_REVISION = "0002", "w0001"


def _adopt_legacy_accounts(conn) -> None:
    if not inspect(conn).has_table("alembic_version"):
        return
    if conn.execute(text("SELECT version_num FROM alembic_version")).scalar() != _LEGACY_KB_REVISION:
        return
    conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    conn.execute(text(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} "
                      "(version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
    conn.execute(text(f"INSERT INTO {VERSION_TABLE} (version_num) VALUES ('{_LEGACY_WEB_REVISION}')"))


def migrate(url: Optional[str] = None) -> None:
    """Bring the knowledge base's and the consoles' tables to their newest revisions."""
    from alembic import command
    from alembic.config import Config

    with kb_db.get_engine(url).begin() as conn:
        _adopt_legacy_accounts(conn)
    kb_db.migrate(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    cfg.attributes["configure_logger"] = False
    with kb_db.get_engine(url).begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
