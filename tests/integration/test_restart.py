"""A restart of the Rasa server loses no conversation: the SQL tracker store keeps it."""
from __future__ import annotations

import tempfile
import uuid

import pytest
import requests

from bot.channels.rest import conversation_id
from tests.support import servers

pytestmark = pytest.mark.integration


def test_profile_survives_a_restart(trained_model, action_server, session_kb_url):
    tracker_url = f"sqlite:///{tempfile.mkdtemp(prefix='zct-restart-')}/tracker.db"
    env = {"DATABASE_URL": session_kb_url, "TRACKER_DB_URL": tracker_url}
    sender = f"restart-{uuid.uuid4().hex[:6]}"
    first = servers.start_rasa_server(trained_model, action_url=f"{action_server.url}/webhook", env=env)
    try:
        requests.post(f"{first.url}/webhooks/rest/webhook", json={"sender": sender, "message": "我是退伍军人开面馆的个体户"},
                      timeout=60).raise_for_status()
    finally:
        first.stop()
    second = servers.start_rasa_server(trained_model, action_url=f"{action_server.url}/webhook", env=env)
    try:
        state = second.tracker(conversation_id(sender))
        assert state["slots"]["identities"] == ["退役军人"]
        assert state["slots"]["industry"] == "餐饮"
    finally:
        second.stop()
