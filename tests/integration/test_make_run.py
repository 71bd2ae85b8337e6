"""`make run` on the embedded defaults, as a newcomer starts it: both servers on loopback only,
Rasa's HTTP API refusing an unauthenticated read of a conversation, the bot answering."""
from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
import requests

from tests.integration.test_security import LOOPBACK, listening_addresses
from tests.support import servers

pytestmark = pytest.mark.integration


@pytest.fixture
def make_run(tmp_path):
    rasa_port, action_port = servers.free_port(), servers.free_port()
    env = servers.base_env({"RASA_PORT": str(rasa_port), "ACTION_PORT": str(action_port),
                            "DATABASE_URL": f"sqlite:///{tmp_path / 'kb.db'}",
                            "TRACKER_DB_URL": f"sqlite:///{tmp_path / 'tracker.db'}"})
    for name in ("RASA_AUTH_TOKEN", "ACTION_SERVER_TOKEN", "ACTION_SERVER_URL", "RASA_HOST", "ACTION_HOST"):
        env.pop(name, None)
    log = open(tmp_path / "make-run.log", "wb")
    process = subprocess.Popen(["make", "--no-print-directory", "run"], cwd=servers.ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{rasa_port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "make-run.log").read_text(errors="replace")[-3000:]
            try:
                if requests.get(f"{url}/webhooks/rest/", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(1)
        else:
            pytest.fail("make run did not come up:\n" + (tmp_path / "make-run.log").read_text(errors="replace")[-3000:])
        yield url, rasa_port, action_port
    finally:  # also when it did not come up: no servers left running
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)
        except ProcessLookupError:
            pass  # the whole group has ended
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def test_make_run_is_safe_by_default(make_run):
    url, rasa_port, action_port = make_run
    assert listening_addresses(rasa_port) and listening_addresses(rasa_port) <= LOOPBACK
    assert listening_addresses(action_port) and listening_addresses(action_port) <= LOOPBACK
    assert requests.get(f"{url}/conversations/shell-1/tracker", timeout=10).status_code == 401
    token = (servers.ROOT / "var" / "rasa-auth-token").read_text().strip()
    assert requests.get(f"{url}/status", params={"token": token}, timeout=10).status_code == 200
    # The action server wants the token make generated; Rasa sends it, so the bot answers.
    assert requests.post(f"http://127.0.0.1:{action_port}/webhook", json={}, timeout=10).status_code == 401
    reply = requests.post(f"{url}/webhooks/rest/webhook", timeout=60,
                          json={"sender": "shell-1", "message": "我是退伍军人开面馆的个体户，创业担保贷款能贷多少"}).json()
    assert "创业担保贷款" in "\n".join(m.get("text") or "" for m in reply)
