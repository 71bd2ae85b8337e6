"""Personal data: masking of phone and ID numbers (bot/rasa/privacy.py) and the retention job
`python -m bot privacy purge` on a real SQLite tracker store written by Rasa's SQLTrackerStore."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rasa.shared.core.events import ActionExecuted, UserUttered
from sqlalchemy import create_engine, text

from bot.rasa.privacy import mask_pii, retention_days
from tests.web.admin_helpers import write_conversations

ROOT = Path(__file__).resolve().parents[2]
DAY = 86400


@pytest.mark.parametrize("typed,shown", [
    ("13812345678", "138****5678"),
    ("11010519491231002X", "110105********002X"),
    ("我电话13812345678，有补贴吗", "我电话138****5678，有补贴吗"),
    ("身份证号11010519491231002x手机19912345678", "身份证号110105********002x手机199****5678"),
    ("手机 138-1234-5678 或 138 1234 5678", "手机 138****5678 或 138****5678"),
    ("全角１３８１２３４５６７８", "全角１３８****５６７８"),
    ("身份证 110105 19491231 0021", "身份证 110105********0021"),
    # Not a mobile or an ID: left as typed.
    ("营业额12812345678元", "营业额12812345678元"),             # 12x is not a mobile prefix
    ("订单号2024123456789012345", "订单号2024123456789012345"),   # longer digit runs are something else
    ("座机010-12345678", "座机010-12345678"),
    ("月入3万，雇了2个人", "月入3万，雇了2个人"),
    ("", ""),
])
def test_mask_pii(typed, shown):
    assert mask_pii(typed) == shown


def test_retention_days(monkeypatch):
    monkeypatch.delenv("ZCT_RETENTION_DAYS", raising=False)
    assert retention_days() == 180
    monkeypatch.setenv("ZCT_RETENTION_DAYS", "30")
    assert retention_days() == 30 and retention_days("7") == 7
    for bad in ("0", "-3", "半年"):
        with pytest.raises(ValueError, match="正整数"):
            retention_days(bad)


def turn(text_, at):
    return [UserUttered(text_, {"name": "greet", "confidence": 1.0}, timestamp=at),
            ActionExecuted("utter_greet", timestamp=at + 1), ActionExecuted("action_listen", timestamp=at + 2)]


@pytest.fixture
def tracker_url(tmp_path):
    now = time.time()
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    write_conversations(url, {
        "old-owner": turn("我电话13812345678", now - 200 * DAY),
        "both": turn("半年多前", now - 190 * DAY) + turn("今天又来问", now - 1 * DAY),
        "new-owner": turn("社保能缓缴吗", now - 10 * DAY),
    })
    return url


def purge(url, *args, retention=None):
    env = dict(os.environ, TRACKER_DB_URL=url, RASA_TELEMETRY_ENABLED="false")
    env.pop("ZCT_RETENTION_DAYS", None)
    if retention is not None:
        env["ZCT_RETENTION_DAYS"] = retention
    return subprocess.run([sys.executable, "-m", "bot", "privacy", "purge", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def stored(url):
    with create_engine(url).connect() as conn:
        rows = conn.execute(text("SELECT sender_id, timestamp FROM events ORDER BY id")).all()
    return rows


def test_purge_deletes_only_events_older_than_the_retention(tracker_url):
    before = stored(tracker_url)
    old = [r for r in before if r.timestamp < time.time() - 180 * DAY]
    assert len(old) == 6 and len(before) == 12

    dry = purge(tracker_url, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "将删除 6 条" in dry.stdout and "保留最近 180 天" in dry.stdout and "未做任何改动" in dry.stdout
    assert stored(tracker_url) == before

    done = purge(tracker_url)
    assert done.returncode == 0, done.stderr
    assert "已删除 6 条" in done.stdout
    after = stored(tracker_url)
    assert after == [r for r in before if r not in old]
    assert {r.sender_id for r in after} == {"both", "new-owner"}


def test_purge_days_from_the_option_and_the_environment(tracker_url):
    assert "将删除 9 条" in purge(tracker_url, "--dry-run", retention="5").stdout
    assert "将删除 6 条" in purge(tracker_url, "--dry-run", "--days", "180", retention="5").stdout
    bad = purge(tracker_url, retention="半年")
    assert bad.returncode == 2 and "ZCT_RETENTION_DAYS" in bad.stderr and "Traceback" not in bad.stderr
    assert len(stored(tracker_url)) == 12


def test_purge_without_tracker_db_url_uses_the_servers_default_database(tmp_path):
    # Like `rasa run` in the project folder: var/tracker.db of the folder it runs in.
    (tmp_path / "var").mkdir()
    url = f"sqlite:///{tmp_path / 'var' / 'tracker.db'}"
    now = time.time()
    write_conversations(url, {"old-owner": turn("去年的问题", now - 200 * DAY), "new-owner": turn("今天", now)})
    env = {k: v for k, v in os.environ.items() if k not in ("TRACKER_DB_URL", "ZCT_RETENTION_DAYS")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run([sys.executable, "-m", "bot", "privacy", "purge"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "已删除 3 条" in done.stdout
    assert {r.sender_id for r in stored(url)} == {"new-owner"}
