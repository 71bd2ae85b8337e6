"""Hostile-input benchmark: a 50,000-character message over REST (and WeChat, when its fake API
harness is available) while another owner talks to the bot.

Prints the long message's reply time (target < 1 s, a polite "太长了" reply) and the other
owner's turn latency with and without the long messages arriving (target: about the same).
Usage: python bench/bench_security.py [--turns 40]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import pct  # noqa: E402
from tests.support import servers  # noqa: E402

LONG = "我想问一下社保缓缴的政策" * 4200  # 50,400 characters
OWNER_TURN = "我是退伍军人，开了个面馆，个体户，创业担保贷款能贷多少"


def owner_latencies(url: str, turns: int):
    session, out = requests.Session(), []
    for _ in range(turns):
        t0 = time.perf_counter()
        session.post(f"{url}/webhooks/rest/webhook", json={"sender": f"owner-{uuid.uuid4().hex}",
                                                            "message": OWNER_TURN}, timeout=60).raise_for_status()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def long_messages(url: str, stop: threading.Event, replies: list):
    session = requests.Session()
    while not stop.is_set():
        t0 = time.perf_counter()
        resp = session.post(f"{url}/webhooks/rest/webhook", json={"sender": "attacker", "message": LONG}, timeout=60)
        replies.append(((time.perf_counter() - t0) * 1000, "太长" in resp.text))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=40)
    args = parser.parse_args()
    kb_url = f"sqlite:///{tempfile.mkdtemp(prefix='zct-bench-kb-')}/policies.db"
    subprocess.run([str(servers.VENV_BIN / "python"), "-m", "bot", "kb", "import"], cwd=ROOT,
                   env=servers.base_env({"DATABASE_URL": kb_url}), check=True, stdout=subprocess.DEVNULL)
    actions = servers.start_action_server(env={"DATABASE_URL": kb_url})
    rasa = servers.start_rasa_server(servers.ensure_model(), action_url=f"{actions.url}/webhook",
                                     env={"DATABASE_URL": kb_url})
    try:
        owner_latencies(rasa.url, 5)  # warm up
        quiet = owner_latencies(rasa.url, args.turns)
        stop, replies = threading.Event(), []
        attackers = [threading.Thread(target=long_messages, args=(rasa.url, stop, replies)) for _ in range(2)]
        for thread in attackers:
            thread.start()
        loud = owner_latencies(rasa.url, args.turns)
        stop.set()
        for thread in attackers:
            thread.join()
        times = [ms for ms, _ in replies]
        print(f"REST 50,400-character message: {len(replies)} sent by 2 clients, polite reply in "
              f"{sum(ok for _, ok in replies)}/{len(replies)}; p50 {statistics.median(times):.0f} ms, "
              f"max {max(times):.0f} ms (target < 1000 ms)")
        print(f"other owner's full turn, alone:          p50 {statistics.median(quiet):.0f} ms, p95 {pct(quiet, .95):.0f} ms")
        print(f"other owner's full turn, under the flood: p50 {statistics.median(loud):.0f} ms, p95 {pct(loud, .95):.0f} ms")
    finally:
        rasa.stop()
        actions.stop()


if __name__ == "__main__":
    main()
