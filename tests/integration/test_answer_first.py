"""Answer first, then ask (issue 11): owner dialogues over the real REST channel, asserting on
the FIRST reply to each turn — it holds the decided policies / the fact / the channel, and no
question comes before the answer. Dialogues: answer_first_dialogues.yml.

Also runnable against any running bot, to compare versions:
    python -m tests.integration.test_answer_first --url http://127.0.0.1:5005
"""
from __future__ import annotations

import argparse
import statistics
import sys
import uuid
from pathlib import Path
from typing import Dict, List, Optional

import pytest
import requests
import yaml

pytestmark = pytest.mark.integration

DIALOGUES = yaml.safe_load((Path(__file__).with_name("answer_first_dialogues.yml")).read_text(encoding="utf-8"))["dialogues"]
# name → turns until the first useful answer (None: never), filled as the tests run.
FIGURES: Dict[str, Optional[int]] = {}


def say(url: str, sender: str, text: str) -> List[dict]:
    reply = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
    reply.raise_for_status()
    return reply.json()


def is_question(message: dict) -> bool:
    return (message.get("text") or "").rstrip().endswith(("？", "?"))


def problems(turn: dict, reply: List[dict]) -> List[str]:
    """What is wrong with the bot's reply to one turn (empty: fine)."""
    text = "\n".join(m.get("text") or "" for m in reply)
    found = []
    if turn.get("none"):  # the bot must stay quiet (a person holds the conversation)
        return [f"should stay quiet, said {text[:60]!r}"] if reply else []
    if not reply:
        return ["no reply"]
    if is_question(reply[0]) or any(is_question(m) for m in reply[:-1]):
        found.append("a question comes before the answer")
    found += [f"missing {w!r}" for w in turn.get("has", []) if str(w) not in text]
    if turn.get("any") and not any(str(w) in text for w in turn["any"]):
        found.append(f"none of {turn['any']!r}")
    found += [f"should not say {w!r}" for w in turn.get("not", []) if str(w) in text]
    return found


def play(url: str, dialogue: dict) -> tuple:
    """(problems per turn, turns until the first useful answer or None, replies)."""
    sender = f"af-{uuid.uuid4().hex[:10]}"
    useful_at, found, replies = None, [], []
    for i, turn in enumerate(dialogue["turns"], 1):
        reply = say(url, sender, turn["say"])
        replies.append(reply)
        text = "\n".join(m.get("text") or "" for m in reply)
        if useful_at is None and all(str(w) in text for w in dialogue["useful"]):
            useful_at = i
        found += [f"turn {i} ({turn['say'][:16]}…): {p}" for p in problems(turn, reply)]
    return found, useful_at, replies


def summary(figures: Dict[str, Optional[int]]) -> str:
    if not figures:
        return "answer-first: no dialogue played"
    got = [v for v in figures.values() if v is not None]
    firsts = sum(1 for v in got if v == 1)
    mean = statistics.mean(got) if got else float("nan")
    return (f"answer-first: turns until the first useful answer over {len(figures)} dialogues — "
            f"1 turn: {firsts}, 2+: {len(got) - firsts}, never: {len(figures) - len(got)}, mean {mean:.2f} "
            f"(of those answered)")


@pytest.mark.parametrize("dialogue", DIALOGUES, ids=[d["name"] for d in DIALOGUES])
def test_first_reply_answers(bot_server, dialogue):
    found, useful_at, replies = play(bot_server.url, dialogue)
    FIGURES[dialogue["name"]] = useful_at
    shown = "\n---\n".join("\n".join(m.get("text") or "" for m in r) for r in replies)
    assert not found, "\n".join(found) + "\n=== replies ===\n" + shown


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("-v", action="store_true", help="print every failing dialogue")
    args = parser.parse_args(argv)
    failed = 0
    for dialogue in DIALOGUES:
        found, useful_at, _ = play(args.url, dialogue)
        FIGURES[dialogue["name"]] = useful_at
        failed += bool(found)
        if found and args.v:
            print(f"✗ {dialogue['name']}: " + "; ".join(found))
    print(f"dialogues passing: {len(DIALOGUES) - failed}/{len(DIALOGUES)}")
    print(summary(FIGURES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
