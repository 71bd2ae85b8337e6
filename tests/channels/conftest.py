"""Fixtures for the WeChat channel tests: real Rasa servers on loopback, a
fake WeChat API server, and WeChat's side of the protocol (wechat_side)."""
import base64
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, Iterator

import pytest
import requests

from tests.channels.fake_wechat_api import FakeWeChatAPI
from tests.channels.wechat_side import WeChatSide

HERE = Path(__file__).resolve().parent
TOKEN = "zct_test_token_5f2a"
APPID = "wx0123456789abcdef"
SECRET = "test-secret-never-real"
# EncodingAESKey: 43 characters, base64 of 32 bytes without the trailing "="
AES_KEY = base64.b64encode(bytes(range(32))).decode()[:-1]
UNUSED_ACTION_URL = "http://127.0.0.1:9/webhook"  # the fixture bot has no custom actions


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="session")
def wechat_fixture_model(tmp_path_factory) -> Path:
    """tests/channels/fixture_bot trained once (a few seconds): fixed answers,
    buttons and an over-long answer, which the project's bot may not have."""
    out = tmp_path_factory.mktemp("wechat_fixture_model")
    bot = HERE / "fixture_bot"
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false")
    subprocess.run(
        [sys.executable, "-m", "rasa", "train", "--domain", str(bot / "domain.yml"),
         "--config", str(bot / "config.yml"), "--data", str(bot / "data"),
         "--out", str(out), "--fixed-model-name", "wechat_fixture"],
        check=True, cwd=out, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    return out / "wechat_fixture.tar.gz"


@pytest.fixture(scope="session")
def wechat_api() -> Iterator[FakeWeChatAPI]:
    api = FakeWeChatAPI(APPID, SECRET)
    yield api
    api.close()


def wechat_env(api_url: str, **extra: str) -> Dict[str, str]:
    """The channel's settings for one server: its own state file (the default
    sqlite store), unless a test shares one between servers."""
    state = Path(tempfile.mkdtemp(prefix="zct-wechat-state-")) / "wechat_state.sqlite3"
    env = {
        "RASA_TELEMETRY_ENABLED": "false",
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_APPID": APPID,
        "WECHAT_SECRET": SECRET,
        "WECHAT_AES_KEY": AES_KEY,
        "WECHAT_API_BASE": api_url,
        "WECHAT_STATE_DB": str(state),
    }
    env.update(extra)
    return env


def start_rasa(model: Path, env: Dict[str, str], action_url: str = UNUSED_ACTION_URL):
    """`rasa run` (shared harness) with REST + WeChat channels. Own endpoints
    file: in-memory tracker store, so these servers need no database."""
    from tests.support.servers import start_rasa_server

    tmp = Path(tempfile.mkdtemp(prefix="zct-wechat-"))
    credentials = tmp / "credentials.yml"
    credentials.write_text("rest:\nbot.channels.wechat.WeChatInput:\n", encoding="utf-8")
    endpoints = tmp / "endpoints.yml"
    endpoints.write_text(f"action_endpoint:\n  url: {action_url}\n", encoding="utf-8")
    return start_rasa_server(
        model, action_url=action_url, credentials_path=credentials, endpoints_path=endpoints, env=env
    )


def side(server, mode: str = "safe") -> WeChatSide:
    return WeChatSide(server.url, TOKEN, APPID, AES_KEY, mode)


def user_turns(server, sender: str) -> int:
    """How many user messages reached the bot for this sender (Rasa HTTP API)."""
    return sum(1 for e in server.tracker(sender).get("events", []) if e.get("event") == "user")


def tracker(server, sender: str) -> dict:
    return server.tracker(sender)


def server_log(server) -> str:
    return Path(server.log_path).read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="session")
def fixture_server(wechat_fixture_model, wechat_api) -> Iterator:
    """The fixture bot behind the channel as deployed: AES key configured."""
    server = start_rasa(wechat_fixture_model, wechat_env(wechat_api.url))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def plain_server(wechat_fixture_model, wechat_api) -> Iterator:
    """The fixture bot behind a channel with NO AES key: 明文模式, the only
    mode in which plaintext POSTs are accepted."""
    server = start_rasa(wechat_fixture_model, wechat_env(wechat_api.url, WECHAT_AES_KEY=""))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def wechat_server(trained_model, action_server, wechat_api) -> Iterator:
    """The project's trained bot (with its action server) behind the WeChat
    channel: 4 s budget, AES key configured, de-duplication in a sqlite file."""
    server = start_rasa(trained_model, wechat_env(wechat_api.url), f"{action_server.url}/webhook")
    yield server
    server.stop()
