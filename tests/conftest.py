"""Shared fixtures. Unit tests get a fresh SQLite knowledge base; integration tests share one
trained model and one pair of real servers per session."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.support import servers


@pytest.fixture
def kb_url(tmp_path, monkeypatch):
    """A fresh database with the repo's policies imported, set as DATABASE_URL."""
    from policies_kb import loader, workflow
    from bot.web.db import migrate  # the knowledge base's tables and the consoles'
    from policies_kb.db import session_scope

    url = f"sqlite:///{tmp_path / 'policies.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    migrate(url)
    with session_scope(url) as session:
        workflow.import_files(session=session, paths=loader.policy_files(), actor="test")
    return url


@pytest.fixture(scope="session")
def session_kb_url():
    """One imported knowledge base for the servers of the whole test session."""
    from policies_kb import loader, workflow
    from bot.web.db import migrate  # the knowledge base's tables and the consoles'
    from policies_kb.db import session_scope

    url = f"sqlite:///{tempfile.mkdtemp(prefix='zct-kb-')}/policies.db"
    migrate(url)
    with session_scope(url) as session:
        workflow.import_files(session=session, paths=loader.policy_files(), actor="test")
    return url


@pytest.fixture(scope="session")
def trained_model() -> Path:
    return servers.ensure_model()


@pytest.fixture(scope="session")
def action_server(session_kb_url):
    server = servers.start_action_server(env={"DATABASE_URL": session_kb_url})
    yield server
    server.stop()


@pytest.fixture(scope="session")
def bot_server(trained_model, action_server, session_kb_url):
    """The Rasa server with the default channels (REST, WeChat unconfigured, console/API)."""
    env = {"DATABASE_URL": session_kb_url}
    for key in [k for k in os.environ if k.startswith("WECHAT_")]:
        env[key] = ""
    server = servers.start_rasa_server(trained_model, action_url=f"{action_server.url}/webhook", env=env)
    yield server
    server.stop()
