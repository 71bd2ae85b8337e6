"""Plain `rasa run --enable-api` in a project folder, as Rasa users start it: no ACTION_SERVER_URL,
ACTION_SERVER_TOKEN or TRACKER_DB_URL, no --endpoints / --credentials (Rasa's defaults in the
working folder). endpoints.yml's literal defaults are enough: the server starts, answers over
REST and keeps the conversation in var/tracker.db of the folder it runs in."""
from __future__ import annotations

import shutil
import socket
import sqlite3
import uuid

import pytest
import requests

from tests.support import servers

pytestmark = pytest.mark.integration

DEFAULT_ACTION_PORT = 5055  # endpoints.yml: http://127.0.0.1:5055/webhook


def clean_env(extra):
    env = servers.base_env(extra)
    for name in ("ACTION_SERVER_URL", "ACTION_SERVER_TOKEN", "TRACKER_DB_URL", "RASA_AUTH_TOKEN", "ZCT_ENV",
                 "ZCT_REST_TOKEN", "ACTION_HOST", "ACTION_PORT"):
        env.pop(name, None)
    for name in [k for k in env if k.startswith("WECHAT_")]:
        env.pop(name)
    return env


def port_is_free(port):
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_plain_rasa_run_needs_no_variables(trained_model, session_kb_url, tmp_path):
    for name in ("endpoints.yml", "credentials.yml"):
        shutil.copy(servers.ROOT / name, tmp_path / name)
    # The folder is a copy of the project's run files; the code comes from the project.
    env = clean_env({"DATABASE_URL": session_kb_url, "PYTHONPATH": str(servers.ROOT)})
    actions = None
    if port_is_free(DEFAULT_ACTION_PORT):  # another checkout's `make run` may hold it on a shared machine
        actions = servers.ServerProcess("actions", [str(servers.VENV_BIN / "python"), "-m", "bot.action_server"],
                                        DEFAULT_ACTION_PORT, env, "/health", cwd=tmp_path)
    try:
        port = servers.free_port()
        rasa = servers.ServerProcess(
            "rasa", [str(servers.VENV_BIN / "rasa"), "run", "-m", str(trained_model), "--enable-api",
                     "-i", "127.0.0.1", "--port", str(port)],
            port, env, "/status", cwd=tmp_path)
        try:
            sender = "plain-" + uuid.uuid4().hex[:8]
            reply = requests.post(f"{rasa.url}/webhooks/rest/webhook", timeout=60,
                                  json={"sender": sender, "message": "我是退伍军人开面馆的个体户，创业担保贷款能贷多少"})
            assert reply.status_code == 200
            text = "\n".join(m.get("text") or "" for m in reply.json())
            assert text, rasa.log_tail()
            if actions is not None:  # our action server on the default URL, called without a token
                assert "创业担保贷款" in text, rasa.log_tail()
            assert rasa.tracker(f"rest:{sender}")["events"]
        finally:
            rasa.stop()
    finally:
        if actions is not None:
            actions.stop()
    database = tmp_path / "var" / "tracker.db"
    assert database.exists()
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (f"rest:{sender}",)).fetchone()[0] > 0
