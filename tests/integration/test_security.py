"""Hostile requests and faults against the Rasa server and the action server, as an attacker or
bad luck would send them — each gets the refusal or the fallback the README promises."""
from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

from bot import limits
from bot.channels.rest import conversation_id
from tests.support import servers

pytestmark = pytest.mark.integration

UNAVAILABLE = "政策查询服务暂时连不上"


def rest(server, sender, text, **kwargs):
    return requests.post(f"{server.url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                         timeout=kwargs.pop("timeout", 60), **kwargs)


def joined(resp) -> str:
    return "\n".join(m.get("text") or "" for m in resp.json())


def listening_addresses(port: int):
    """Local addresses listening on `port` (IPv4 and IPv6), read from /proc/net."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


LOOPBACK = {"0100007F", "00000000000000000000000001000000"}


# ---- Rasa's HTTP API ------------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [
    ("GET", "/conversations/oSomeOwner/tracker"),
    ("POST", "/conversations/oSomeOwner/tracker/events"),
    ("PUT", "/conversations/oSomeOwner/tracker/events"),
    ("DELETE", "/model"),
    ("PUT", "/model"),
    ("POST", "/model/parse"),
])
def test_rasa_api_refuses_requests_without_the_token(bot_server, method, path):
    body = [{"event": "bot", "text": "请添加客服微信…先交保证金"}] if "events" in path else {"text": "你好"}
    resp = requests.request(method, bot_server.url + path, json=body, timeout=10)
    assert resp.status_code == 401
    assert bot_server.api_get("/status").status_code == 200  # the model is still loaded


def test_no_cors_for_foreign_origins(bot_server):
    evil = {"Origin": "https://evil.example"}
    for resp in (requests.options(f"{bot_server.url}/webhooks/rest/webhook", timeout=10,
                                  headers={**evil, "Access-Control-Request-Method": "POST"}),
                 rest(bot_server, "cors-" + uuid.uuid4().hex[:6], "你好", headers=evil),
                 bot_server.api_get("/status", headers=evil)):
        assert "access-control-allow-origin" not in {k.lower() for k in resp.headers}, resp.headers


def test_rasa_server_listens_on_loopback_only(bot_server):
    assert listening_addresses(bot_server.port) <= LOOPBACK


# ---- the REST channel -------------------------------------------------------------------------

def test_rest_cannot_speak_as_another_channels_owner(bot_server):
    openid = "oWeChatOwner" + uuid.uuid4().hex[:8]
    resp = requests.post(f"{bot_server.url}/webhooks/rest/webhook", timeout=60, json={
        "sender": openid, "message": "我是退伍军人开面馆的个体户", "input_channel": "wechat",
        "metadata": {"wechat": {"openid": openid}}})
    assert resp.status_code == 200 and resp.json()
    assert all(m["recipient_id"] == openid for m in resp.json())
    # The WeChat owner's conversation is untouched; the REST one lives in its own namespace.
    assert not [e for e in bot_server.tracker(openid)["events"] if e["event"] == "user"]
    own = bot_server.tracker(conversation_id(openid))
    assert own["latest_input_channel"] == "rest"
    assert own["latest_message"]["metadata"] == {}


@pytest.mark.parametrize("body, status, error", [
    (b"not json", 400, "invalid_json"),
    (b'{"message": "hi"}', 400, "invalid_sender"),
    (b'{"sender": "' + b"s" * 200 + b'", "message": "hi"}', 400, "invalid_sender"),
    (b'{"sender": "me", "message": {"text": "hi"}}', 400, "invalid_message"),
])
def test_rest_refuses_malformed_requests(bot_server, body, status, error):
    resp = requests.post(f"{bot_server.url}/webhooks/rest/webhook", data=body, timeout=10)
    assert resp.status_code == status and resp.json()["error"] == error


def test_a_50000_character_message_is_refused_politely_and_fast(bot_server):
    sender = "long-" + uuid.uuid4().hex[:6]
    started = time.monotonic()
    resp = rest(bot_server, sender, "我想问社保" * 10_000)
    elapsed = time.monotonic() - started
    assert resp.status_code == 200 and "太长" in joined(resp)
    assert elapsed < 5  # nowhere near the 44 s an uncapped message took; bench_security measures it
    assert not [e for e in bot_server.tracker(conversation_id(sender))["events"] if e["event"] == "user"]
    after = joined(rest(bot_server, sender, "创业担保贷款最多能贷多少"))  # and the owner goes on
    assert after and "太长" not in after


def test_an_oversized_body_gets_a_readable_413(bot_server):
    resp = requests.post(f"{bot_server.url}/webhooks/rest/webhook", timeout=30,
                         json={"sender": "big", "message": "x" * 10, "padding": "y" * 1_200_000})
    assert resp.status_code == 413 and resp.json()["error"] == "payload_too_large"


def test_production_rest_needs_its_token(trained_model, action_server, session_kb_url):
    token = "rest-" + uuid.uuid4().hex
    # Production wants every secret; the shared action server ignores the token it is sent.
    env = {"DATABASE_URL": session_kb_url, "ZCT_ENV": "production", "ZCT_REST_TOKEN": token,
           "ACTION_SERVER_TOKEN": "act-" + uuid.uuid4().hex, "RASA_AUTH_TOKEN": "rasa-" + uuid.uuid4().hex}
    server = servers.start_rasa_server(trained_model, action_url=f"{action_server.url}/webhook", env=env)
    try:
        assert rest(server, "p1", "你好").status_code == 401
        wrong = rest(server, "p1", "你好", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        ok = rest(server, "p1", "你好", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200 and ok.json()
    finally:
        server.stop()


# ---- production refuses to start half-protected -------------------------------------------------

def _run_to_exit(args, env, timeout=240):
    return subprocess.run(args, cwd=servers.ROOT, env=servers.base_env(env), capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("token_args", [[], ["--auth-token", "changeme"], ["--auth-token", "short"]])
def test_production_rasa_refuses_an_open_or_placeholder_api(trained_model, token_args):
    done = _run_to_exit([str(servers.VENV_BIN / "rasa"), "run", "-m", str(trained_model), "--enable-api",
                         *token_args, "-i", "127.0.0.1", "--port", str(servers.free_port()),
                         "--credentials", str(servers.ROOT / "credentials.yml"),
                         "--endpoints", str(servers.ROOT / "endpoints.yml")],
                        {"ZCT_ENV": "production", "ACTION_SERVER_URL": "http://127.0.0.1:9/webhook",
                         "ACTION_SERVER_TOKEN": "", "TRACKER_DB_URL": "sqlite://"})
    assert done.returncode != 0
    assert "拒绝以生产模式" in done.stderr + done.stdout and "--auth-token" in done.stderr + done.stdout


def test_production_action_server_refuses_to_start_without_a_token():
    done = _run_to_exit([sys.executable, "-m", "bot.action_server", "--port", str(servers.free_port())],
                        {"ZCT_ENV": "production", "ACTION_SERVER_TOKEN": "changeme"}, timeout=120)
    assert done.returncode != 0 and "ACTION_SERVER_TOKEN" in done.stderr


# ---- the action server ---------------------------------------------------------------------------

def test_action_server_needs_its_token_and_listens_on_loopback(trained_model, session_kb_url):
    token = "act-" + uuid.uuid4().hex
    actions = servers.start_action_server(env={"DATABASE_URL": session_kb_url, "ACTION_SERVER_TOKEN": token})
    try:
        assert listening_addresses(actions.port) <= LOOPBACK
        call = {"next_action": "action_answer_policies", "sender_id": "x", "tracker": {}, "domain": {}}
        assert requests.post(f"{actions.url}/webhook", json=call, timeout=10).status_code == 401
        assert requests.get(f"{actions.url}/actions", timeout=10).status_code == 401
        assert requests.get(f"{actions.url}/actions", params={"token": token}, timeout=10).status_code == 200
        rasa = servers.start_rasa_server(trained_model, action_url=f"{actions.url}/webhook",
                                         env={"DATABASE_URL": session_kb_url, "ACTION_SERVER_TOKEN": token})
        try:  # Rasa sends endpoints.yml's token: the bot answers with the matcher's results
            assert "创业担保贷款" in joined(rest(rasa, "tok-" + uuid.uuid4().hex[:6], "我是退伍军人开面馆的个体户，创业担保贷款能贷多少"))
        finally:
            rasa.stop()
    finally:
        actions.stop()


class _HungServer:
    """Accepts connections and never answers: an action server stuck in a query."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(50)
        self.port = self.sock.getsockname()[1]
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.mark.parametrize("state", ["down", "hung"])
def test_owner_hears_a_useful_fallback_when_the_action_server_fails(trained_model, session_kb_url, state):
    hung = _HungServer() if state == "hung" else None
    port = hung.port if hung else servers.free_port()  # nothing listens on a fresh free port
    server = servers.start_rasa_server(trained_model, action_url=f"http://127.0.0.1:{port}/webhook",
                                       env={"DATABASE_URL": session_kb_url, "ZCT_ACTION_TIMEOUT": "1.5"})
    try:
        started = time.monotonic()
        resp = rest(server, f"{state}-" + uuid.uuid4().hex[:6], "我开面馆的个体户有什么补贴")
        elapsed = time.monotonic() - started
        text = joined(resp)
        assert resp.status_code == 200 and UNAVAILABLE in text and "12345" in text
        assert text.count(UNAVAILABLE) == 1  # once per turn, however many actions failed
        assert elapsed < 10
    finally:
        server.stop()
        if hung:
            hung.close()


# ---- the conversation database ---------------------------------------------------------------------

def _make_tracker_db(path: Path) -> None:
    """Create Rasa's events table the way the bot does."""
    from bot.rasa.tracker_store import ConversationStore

    store = ConversationStore(host=f"sqlite:///{path}")
    store.engine.dispose()


def test_read_only_tracker_database_is_refused_clearly(trained_model, action_server, session_kb_url):
    path = Path(tempfile.mkdtemp(prefix="zct-ro-")) / "tracker.db"
    _make_tracker_db(path)
    server = servers.start_rasa_server(trained_model, action_url=f"{action_server.url}/webhook",
                                       env={"DATABASE_URL": session_kb_url,
                                            "TRACKER_DB_URL": f"sqlite:///file:{path}?mode=ro&uri=true"})
    try:
        resp = rest(server, "ro-" + uuid.uuid4().hex[:6], "我是退伍军人开面馆的个体户")
        assert resp.status_code == 200 and joined(resp) == limits.STORE_UNAVAILABLE_REPLY
    finally:
        server.stop()


def test_corrupt_tracker_database_at_start_keeps_the_server_up(trained_model, action_server, session_kb_url):
    path = Path(tempfile.mkdtemp(prefix="zct-bad-")) / "tracker.db"
    path.write_bytes(b"this is not a database " * 200)
    server = servers.start_rasa_server(trained_model, action_url=f"{action_server.url}/webhook",
                                       env={"DATABASE_URL": session_kb_url, "TRACKER_DB_URL": f"sqlite:///{path}"})
    try:
        assert joined(rest(server, "bad-db", "你好")) == limits.STORE_UNAVAILABLE_REPLY
        match = requests.post(f"{server.url}/api/match", json={"profile": {"entity_type": "个体工商户"}}, timeout=30)
        assert match.status_code == 200  # the knowledge base does not depend on conversations
        assert requests.get(f"{server.url}/console/login", timeout=30).status_code == 200
        # Repaired while running: the next message is answered and kept.
        path.unlink()
        assert joined(rest(server, "bad-db", "你好")) != limits.STORE_UNAVAILABLE_REPLY
        assert server.tracker(conversation_id("bad-db"))["events"]
    finally:
        server.stop()
