"""Integration-only hooks: the answer-first suite's figure goes into pytest's summary."""
from __future__ import annotations


def pytest_terminal_summary(terminalreporter):
    from tests.integration import test_answer_first

    if test_answer_first.FIGURES:
        terminalreporter.write_line(test_answer_first.summary(test_answer_first.FIGURES))
