"""Conversation tests: the dialogue model against tests/stories (rasa test core)."""
from __future__ import annotations

import subprocess

import pytest

from tests.support import servers

pytestmark = pytest.mark.integration


def test_stories_pass(trained_model, tmp_path):
    result = subprocess.run(
        [str(servers.VENV_BIN / "rasa"), "test", "core", "--model", str(trained_model), "--stories", "tests/stories",
         "--out", str(tmp_path), "--fail-on-prediction-errors"],
        cwd=servers.ROOT, env=servers.base_env(), capture_output=True, text=True, timeout=600)
    failed = (tmp_path / "failed_test_stories.yml")
    detail = failed.read_text() if failed.exists() else result.stdout[-3000:] + result.stderr[-3000:]
    assert result.returncode == 0, detail
