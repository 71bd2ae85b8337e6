"""Bot benchmark: bare /model/parse vs a full REST turn that runs the matcher, at concurrency
1 and 10, plus training time and the resident memory of both servers.

Targets (2 cores): full-turn p95 ≤ 300 ms at concurrency 10, full-turn throughput ≥ 50 % of
bare-parse throughput, training ≤ 5 min, both servers together ≤ 1.5 GB.
Usage: python bench/bench_bot.py [--requests 1000] [--no-train]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import servers  # noqa: E402
from bench.common import run_load  # noqa: E402

FULL_TURN = "我是退伍军人，开了个面馆，个体户，创业担保贷款能贷多少"
PARSE_TEXTS = ["创业担保贷款能贷多少", "我是个体户有什么政策", "社保能缓缴吗", "六税两费减半怎么享受", "你好"]




def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, from /proc."""
    total = 0
    pids = [pid]
    try:
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--no-train", action="store_true", help="skip the training-time measurement")
    args = parser.parse_args()

    if not args.no_train:
        out = tempfile.mkdtemp(prefix="zct-train-")
        t0 = time.perf_counter()
        subprocess.run([str(servers.VENV_BIN / "rasa"), "train", "--force", "--fixed-model-name", "bench", "--out", out,
                        "--data", "data/nlu", "data/rules", "--quiet"], cwd=ROOT, env=servers.base_env(), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"training (forced, NLU + dialogue): {time.perf_counter() - t0:.0f} s (target ≤ 300 s)")

    kb_url = f"sqlite:///{tempfile.mkdtemp(prefix='zct-bench-kb-')}/policies.db"
    subprocess.run([str(servers.VENV_BIN / "python"), "-m", "bot", "kb", "import"], cwd=ROOT,
                   env=servers.base_env({"DATABASE_URL": kb_url}), check=True, stdout=subprocess.DEVNULL)
    model = servers.ensure_model()
    actions = servers.start_action_server(env={"DATABASE_URL": kb_url})
    rasa = servers.start_rasa_server(model, action_url=f"{actions.url}/webhook", env={"DATABASE_URL": kb_url})
    try:
        session = requests.Session()

        def parse(i):
            session.post(f"{rasa.url}/model/parse", params={"token": rasa.token},
                         json={"text": PARSE_TEXTS[i % len(PARSE_TEXTS)]},
                         timeout=30).raise_for_status()

        def turn(i):
            reply = session.post(f"{rasa.url}/webhooks/rest/webhook",
                                 json={"sender": f"bench-{uuid.uuid4().hex}", "message": FULL_TURN}, timeout=30)
            reply.raise_for_status()
            text = "".join(m.get("text") or "" for m in reply.json())
            assert "30 万" in text, text[:200]

        for fn in (parse, turn):  # warm up
            for i in range(5):
                fn(i)
        rows = []
        for name, fn in (("bare /model/parse", parse), ("full REST turn + matcher", turn)):
            for concurrency in (1, 10):
                p50, p95, p99, tput = run_load(fn, args.requests, concurrency)
                rows.append((name, concurrency, p50, p95, p99, tput))
        print(f"{'path':28} {'conc':>4} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>7}")
        for name, conc, p50, p95, p99, tput in rows:
            print(f"{name:28} {conc:>4} {p50:8.1f} {p95:8.1f} {p99:8.1f} {tput:7.1f}")
        parse10 = next(r for r in rows if r[0].startswith("bare") and r[1] == 10)[5]
        turn10 = next(r for r in rows if r[0].startswith("full") and r[1] == 10)
        print(f"full-turn throughput / bare-parse throughput at concurrency 10: {turn10[5] / parse10:.0%} (target ≥ 50%)")
        print(f"full-turn p95 at concurrency 10: {turn10[3]:.0f} ms (target ≤ 300 ms)")
        total = rss_mb(rasa.process.pid) + rss_mb(actions.process.pid)
        print(f"resident memory: rasa {rss_mb(rasa.process.pid):.0f} MB + actions {rss_mb(actions.process.pid):.0f} MB "
              f"= {total:.0f} MB (target ≤ 1536 MB)")
    finally:
        rasa.stop()
        actions.stop()


if __name__ == "__main__":
    main()
