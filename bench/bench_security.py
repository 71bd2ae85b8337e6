"""Hostile-input benchmark: 50,000-character messages over REST and WeChat (the project's fake
WeChat API) while another owner talks to the bot.

Prints the long message's reply time (target < 1 s: a polite "太长了" reply; over WeChat a
50,000-character message does not fit the 64 KB body and gets a readable 413, an 18,000-character
one does and gets the reply) and the other owner's turn latency with and without the long
messages arriving (target: about the same).
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
from tests.channels.conftest import wechat_env  # noqa: E402
from tests.channels.fake_wechat_api import FakeWeChatAPI  # noqa: E402
from tests.channels.conftest import APPID, SECRET, side  # noqa: E402
from tests.channels.wechat_side import new_openid, text_xml  # noqa: E402
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


def long_wechat(server, stop: threading.Event, replies: list):
    wx, user = side(server, "safe"), new_openid()
    fits = "个体户a1b2c3d4e5f6" * 1200  # 18,000 characters: fits the 64 KB body once encrypted
    i = 0
    while not stop.is_set():
        i += 1
        t0 = time.perf_counter()
        if i % 2:
            ok = "太长" in (wx.say(user, fits) or {}).get("Content", "")
        else:
            ok = wx.post(text_xml(user, LONG), timeout=60).status_code == 413
        replies.append(((time.perf_counter() - t0) * 1000, ok))


def report(name: str, replies: list) -> None:
    times = [ms for ms, _ in replies]
    print(f"{name}: {len(replies)} sent by 2 clients, refused politely in {sum(ok for _, ok in replies)}/"
          f"{len(replies)}; p50 {statistics.median(times):.0f} ms, max {max(times):.0f} ms (target < 1000 ms)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=40)
    args = parser.parse_args()
    kb_url = f"sqlite:///{tempfile.mkdtemp(prefix='zct-bench-kb-')}/policies.db"
    subprocess.run([str(servers.VENV_BIN / "python"), "-m", "bot", "kb", "import"], cwd=ROOT,
                   env=servers.base_env({"DATABASE_URL": kb_url}), check=True, stdout=subprocess.DEVNULL)
    api = FakeWeChatAPI(APPID, SECRET)
    actions = servers.start_action_server(env={"DATABASE_URL": kb_url})
    rasa = servers.start_rasa_server(servers.ensure_model(), action_url=f"{actions.url}/webhook",
                                     env={**wechat_env(api.url), "DATABASE_URL": kb_url})
    try:
        owner_latencies(rasa.url, 5)  # warm up
        quiet = owner_latencies(rasa.url, args.turns)
        figures = {}
        for name, flood in (("REST 50,400 characters", long_messages), ("WeChat 18,000 / 50,400 characters", long_wechat)):
            stop, replies = threading.Event(), []
            target = rasa.url if flood is long_messages else rasa
            attackers = [threading.Thread(target=flood, args=(target, stop, replies)) for _ in range(2)]
            for thread in attackers:
                thread.start()
            figures[name] = owner_latencies(rasa.url, args.turns)
            stop.set()
            for thread in attackers:
                thread.join()
            report(name, replies)
        print(f"other owner's full turn, alone:            p50 {statistics.median(quiet):.0f} ms, "
              f"p95 {pct(quiet, .95):.0f} ms")
        for name, loud in figures.items():
            print(f"other owner's full turn, {name:>34} flood: p50 {statistics.median(loud):.0f} ms, "
                  f"p95 {pct(loud, .95):.0f} ms")
    finally:
        rasa.stop()
        actions.stop()
        api.close()


if __name__ == "__main__":
    main()
