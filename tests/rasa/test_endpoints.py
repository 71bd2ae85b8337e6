"""endpoints.yml works with no variables set (plain `rasa run` / `rasa shell` / `rasa test`), and the
environment still overrides it where `make run`, the test harness and production set it."""
from __future__ import annotations

from pathlib import Path

import pytest
from rasa.core.agent import Agent
from rasa.core.utils import AvailableEndpoints
from rasa.utils.endpoints import EndpointConfig

from bot.rasa import action_endpoint
from bot.rasa.tracker_store import ConversationStore

ROOT = Path(__file__).resolve().parents[2]
VARS = ("ACTION_SERVER_URL", "ACTION_SERVER_TOKEN", "TRACKER_DB_URL")


@pytest.fixture
def no_vars(monkeypatch):
    for name in VARS:
        monkeypatch.delenv(name, raising=False)


def test_rasa_reads_endpoints_yml_without_any_variable(no_vars):
    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "endpoints.yml"))
    assert endpoints.action.url == "http://127.0.0.1:5055/webhook"
    assert endpoints.action.token is None
    assert endpoints.action.kwargs == {"enable_selective_domain": True}
    assert endpoints.tracker_store.type == "bot.rasa.tracker_store.ConversationStore"
    assert endpoints.tracker_store.url is None
    assert endpoints.lock_store.type == "bot.rasa.lock_store.ConversationLockStore"


def test_environment_overrides_the_action_endpoint():
    literal = EndpointConfig(url="http://127.0.0.1:5055/webhook", enable_selective_domain=True)
    assert action_endpoint.from_env(literal, {}) is literal
    assert action_endpoint.from_env(literal, {"ACTION_SERVER_URL": "", "ACTION_SERVER_TOKEN": ""}) is literal
    given = action_endpoint.from_env(literal, {"ACTION_SERVER_URL": "http://127.0.0.1:6000/webhook",
                                               "ACTION_SERVER_TOKEN": "t" * 32})
    assert (given.url, given.token, given.kwargs) == ("http://127.0.0.1:6000/webhook", "t" * 32,
                                                      {"enable_selective_domain": True})
    assert literal.url.endswith(":5055/webhook") and literal.token is None  # the file's config is not changed
    only_token = action_endpoint.from_env(literal, {"ACTION_SERVER_TOKEN": "t" * 32})
    assert (only_token.url, only_token.token) == (literal.url, "t" * 32)
    assert action_endpoint.from_env(None, {}) is None
    assert action_endpoint.from_env(None, {"ACTION_SERVER_URL": "http://h/webhook"}).url == "http://h/webhook"


def test_agents_get_the_environment_once_the_store_is_built(no_vars, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    ConversationStore()  # what Rasa builds from endpoints.yml, before the agent
    literal = EndpointConfig(url="http://127.0.0.1:5055/webhook")
    assert Agent(action_endpoint=literal).action_endpoint is literal
    monkeypatch.setenv("ACTION_SERVER_URL", "http://127.0.0.1:6001/webhook")
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "s" * 24)
    endpoint = Agent(action_endpoint=literal).action_endpoint
    assert (endpoint.url, endpoint.token) == ("http://127.0.0.1:6001/webhook", "s" * 24)


def test_tracker_store_defaults_to_sqlite_under_var(no_vars, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    store = ConversationStore(host=None)  # endpoints.yml gives no url: Rasa passes host=None
    assert Path(store.engine.url.database) == tmp_path / "var" / "tracker.db"
    assert (tmp_path / "var" / "tracker.db").exists()


def test_tracker_store_reads_tracker_db_url(no_vars, monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    monkeypatch.setenv("TRACKER_DB_URL", url)
    monkeypatch.chdir(tmp_path)
    store = ConversationStore(host=None)
    assert Path(store.engine.url.database) == tmp_path / "elsewhere.db"
    assert not (tmp_path / "var").exists()
    # A url in endpoints.yml still wins over the environment.
    explicit = ConversationStore(host=f"sqlite:///{tmp_path / 'explicit.db'}")
    assert Path(explicit.engine.url.database) == tmp_path / "explicit.db"
