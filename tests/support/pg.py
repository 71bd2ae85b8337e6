"""Throw-away PostgreSQL databases on the machine's local server (127.0.0.1:5432, trust auth)."""
from __future__ import annotations

import contextlib
import uuid
from typing import Iterator

import pytest
import sqlalchemy as sa

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextlib.contextmanager
def throwaway_database(prefix: str = "zct_test") -> Iterator[str]:
    """Yield the URL of a new, empty database and drop it afterwards; skip the test when no
    PostgreSQL listens."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    try:
        admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable on 127.0.0.1:5432: {exc}")
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
