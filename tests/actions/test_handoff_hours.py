"""转人工 says whether a person is on duty (data/hotline/handoff.yml, Beijing time on a UTC machine)."""
from __future__ import annotations

import datetime as dt
import time

from actions import handoff_hours
from actions.handoff import ActionHandoff
from actions.routing import HANDOFF_TIMEOUT_MINUTES
from actions.profile import ValidateSlotMappings
from tests.actions.support import run, tracker

UTC = dt.timezone.utc


def test_duty_hours_are_beijing_time():
    # Wednesday 2026-12-02: 01:30 UTC is 09:30 in Beijing (on duty); 09:30 UTC is 17:30 (off duty)
    assert handoff_hours.in_service(dt.datetime(2026, 12, 2, 1, 30, tzinfo=UTC))
    assert not handoff_hours.in_service(dt.datetime(2026, 12, 2, 9, 30, tzinfo=UTC))
    assert not handoff_hours.in_service(dt.datetime(2026, 12, 5, 2, 0, tzinfo=UTC))  # Saturday
    assert "下个工作日" in handoff_hours.handoff_message(dt.datetime(2026, 12, 5, 2, 0, tzinfo=UTC))
    assert "下个工作日" not in handoff_hours.handoff_message(dt.datetime(2026, 12, 2, 1, 30, tzinfo=UTC))


def test_the_owner_reads_the_message_for_now(kb_url):
    messages, slots = run(ActionHandoff(), tracker({}, text="转人工", intent="request_human"))
    assert messages[0]["text"] == handoff_hours.handoff_message() and slots["handoff_active"] is True


def test_nobody_answering_hands_back_with_the_configured_words(kb_url):
    started = time.time() - HANDOFF_TIMEOUT_MINUTES * 60 - 5
    t = tracker({"handoff_active": True, "handoff_at": started}, text="还在吗", intent="greet")
    messages, slots = run(ValidateSlotMappings(), t)
    assert slots["handoff_active"] is False
    assert messages[0]["text"] == handoff_hours.no_answer_message(HANDOFF_TIMEOUT_MINUTES)
    assert f"{int(HANDOFF_TIMEOUT_MINUTES)} 分钟" in messages[0]["text"]
