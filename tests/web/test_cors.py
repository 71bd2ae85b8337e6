"""Cross-origin requests to the console and /api/match (bot/web/cors.py), on the default server
and on one started with Rasa's `--cors "*"` (which installs sanic-cors on the whole app and
would echo any Origin with Access-Control-Allow-Credentials)."""
from __future__ import annotations

import tempfile

import pytest
import requests

from tests.support import servers
from tests.web.conftest import ROOT, USERS, http_login, page_csrf

pytestmark = pytest.mark.integration

EVIL = "https://evil.example"
PARTNER = "https://partner.example"


@pytest.fixture(scope="module")
def permissive_server(trained_model, action_server, session_kb_url, console_users):
    """`rasa run --cors "*"` with ZCT_CORS_ORIGINS listing one partner origin."""
    port = servers.free_port()
    token = "cors-test-token-" + "9" * 8
    env = servers.base_env({"DATABASE_URL": session_kb_url, "ACTION_SERVER_URL": f"{action_server.url}/webhook",
                            "ACTION_SERVER_TOKEN": "",
                            "ZCT_CORS_ORIGINS": f"{PARTNER}, https://other.example",
                            "TRACKER_DB_URL": f"sqlite:///{tempfile.mkdtemp(prefix='zct-tracker-')}/tracker.db"})
    args = [str(servers.VENV_BIN / "rasa"), "run", "-m", str(trained_model), "--enable-api", "--auth-token", token,
            "--cors", "*",
            "--port", str(port), "-i", "127.0.0.1", "--credentials", str(ROOT / "credentials.yml"),
            "--endpoints", str(ROOT / "endpoints.yml")]
    server = servers.ServerProcess("rasa-cors", args, port, env, "/status", token=token)
    yield server
    server.stop()


def cross_origin_requests(base: str, origin: str):
    """(what, response) for a page, console JSON and /api/match, sent with the session cookie."""
    session = http_login(base, "staff1", USERS["staff1"][1])
    csrf = page_csrf(session, base)
    headers = {"Origin": origin}
    yield "login page", requests.get(f"{base}/console/login", headers=headers, timeout=30)
    yield "call page", session.get(f"{base}/console/call", headers=headers, timeout=30)
    yield "console json", session.post(f"{base}/console/api/call/match", json={"profile": {}}, timeout=60,
                                       headers={**headers, "X-CSRF-Token": csrf})
    yield "static", session.get(f"{base}/console/static/console.js", headers=headers, timeout=30)
    yield "api", session.post(f"{base}/api/match", json={"profile": {}}, headers=headers, timeout=60)
    yield "api preflight", requests.options(f"{base}/api/match", timeout=30, headers={
        **headers, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})


def cors_headers(resp):
    return {k: v for k, v in resp.headers.items() if k.lower().startswith("access-control-")}


def test_default_server_sends_no_cors_headers(console):
    for what, resp in cross_origin_requests(console.url, EVIL):
        assert resp.status_code < 400, (what, resp.status_code)
        assert cors_headers(resp) == {}, what


def test_default_server_preflight_for_a_listed_origin(console):
    # The test server has no ZCT_CORS_ORIGINS: even a "partner" gets nothing.
    preflight = requests.options(f"{console.url}/api/match", headers={"Origin": PARTNER}, timeout=30)
    assert preflight.status_code in (200, 204) and cors_headers(preflight) == {}


def test_console_routes_refuse_foreign_origins_even_with_rasa_cors_star(permissive_server):
    # Rasa's own routes show what --cors "*" does (the Makefile must not use it)...
    status = permissive_server.api_get("/status", headers={"Origin": EVIL})
    assert status.headers.get("Access-Control-Allow-Origin") == EVIL
    assert status.headers.get("Access-Control-Allow-Credentials") == "true"
    # ...our routes take none of it.
    for what, resp in cross_origin_requests(permissive_server.url, EVIL):
        assert resp.status_code < 400, (what, resp.status_code)
        assert cors_headers(resp) == {}, what


def test_only_listed_origins_are_granted_and_never_with_credentials(permissive_server):
    for what, resp in cross_origin_requests(permissive_server.url, PARTNER):
        assert resp.headers.get("Access-Control-Allow-Origin") == PARTNER, what
        assert "Access-Control-Allow-Credentials" not in resp.headers, what
        assert "Origin" in resp.headers.get("Vary", ""), what
    preflight = dict(cross_origin_requests(permissive_server.url, PARTNER))["api preflight"]
    assert preflight.status_code in (200, 204) and preflight.headers["Access-Control-Allow-Methods"] == "POST"
