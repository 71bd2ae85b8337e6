"""A bot for government services must not phone home: no telemetry, no crash reports."""
import json
from pathlib import Path

import rasa
from rasa import telemetry

from tests.support import servers


def test_rasa_ships_no_write_keys(monkeypatch):
    # `make setup` empties rasa/keys: without a key Rasa starts neither Segment nor Sentry.
    keys = json.loads((Path(rasa.__file__).parent / "keys").read_text())
    assert not keys.get("sentry") and not keys.get("segment")
    monkeypatch.delenv("RASA_EXCEPTION_WRITE_KEY", raising=False)
    assert telemetry.sentry_write_key() is None


def test_every_server_runs_with_telemetry_off(monkeypatch):
    for key, value in servers.base_env().items():
        monkeypatch.setenv(key, value)
    assert telemetry.is_telemetry_enabled() is False
