"""Alembic environment of the consoles' tables: runs on the connection bot.web.db.migrate() gives."""
from alembic import context

from bot.web.db import VERSION_TABLE
from bot.web.models import WebBase

config = context.config
connection = config.attributes["connection"]
context.configure(connection=connection, target_metadata=WebBase.metadata, render_as_batch=True,
                  version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
