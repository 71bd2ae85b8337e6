"""WeChat channel vs REST: latency and throughput of the same messages.

    .venv/bin/python bench/bench_wechat.py                 # boots the bot (harness)
    .venv/bin/python bench/bench_wechat.py --url http://127.0.0.1:5005 \\
        # a running server; its WECHAT_TOKEN/APPID/AES_KEY must be in this env

Sends each message through /webhooks/wechat/webhook in 安全模式 (signed and
AES-encrypted exactly as WeChat does; requests are prepared before the clock
starts) and through /webhooks/rest/webhook, at concurrency 1 and 10, a bounded
number of requests each, loopback only. Targets: WeChat throughput >= 80 % of
REST, WeChat p99 <= 1 s at concurrency 10. `--strict` exits 1 if missed.
"""
import argparse
import base64
import os
import secrets
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.channels.fake_wechat_api import FakeWeChatAPI  # noqa: E402
from tests.channels.wechat_side import WeChatSide, new_openid, next_msg_id, text_xml  # noqa: E402

# Nothing that hands over to a human: the bot then stays silent on purpose.
MESSAGES = ["你好", "找政策", "创业担保贷款能贷多少", "谢谢"]
ROUNDS = 4


def percentile(values: List[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def run_phase(jobs: List[Callable[[requests.Session], str]], concurrency: int) -> Tuple[List[float], float, Dict[str, int]]:
    """Run prepared jobs with `concurrency` workers; each job returns "ok",
    "late" (WeChat got "success", the answer is pushed) or "error".
    Returns (latencies, wall time, outcome counts)."""
    latencies: List[float] = []
    outcomes: Dict[str, int] = {"ok": 0, "late": 0, "error": 0}
    lock = threading.Lock()
    local = threading.local()
    queue = iter(jobs)

    def worker() -> None:
        local.session = requests.Session()
        while True:
            with lock:
                job = next(queue, None)
            if job is None:
                return
            started = time.perf_counter()
            try:
                outcome = job(local.session)
            except requests.RequestException:
                outcome = "error"
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                outcomes[outcome] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for _ in range(concurrency):
            pool.submit(worker)
    return latencies, time.perf_counter() - started, outcomes


def summary(latencies: List[float], wall: float, outcomes: Dict[str, int]) -> Dict[str, float]:
    return {
        "n": len(latencies),
        "p50": percentile(latencies, 50) * 1000,
        "p95": percentile(latencies, 95) * 1000,
        "p99": percentile(latencies, 99) * 1000,
        "rps": len(latencies) / wall,
        "errors": outcomes["error"],
        "late": outcomes["late"],
    }


def rest_jobs(url: str, count: int, concurrency: int, tag: str) -> List[Callable]:
    senders = [f"bench-rest-{tag}-{i}" for i in range(concurrency)]

    def job(sender: str, message: str) -> Callable:
        def call(session: requests.Session) -> str:
            resp = session.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=30)
            return "ok" if resp.status_code == 200 and resp.json() else "error"

        return call

    return [job(senders[i % concurrency], MESSAGES[i % len(MESSAGES)]) for i in range(count)]


def wechat_jobs(side: WeChatSide, count: int, concurrency: int) -> List[Callable]:
    openids = [new_openid() for _ in range(concurrency)]
    prepared = []
    for i in range(count):  # sign + encrypt before the clock starts
        xml = text_xml(openids[i % concurrency], MESSAGES[i % len(MESSAGES)], next_msg_id())
        prepared.append(side.prepare(xml))

    def job(params: Dict[str, str], body: bytes) -> Callable:
        def call(session: requests.Session) -> str:
            resp = session.post(side.url, params=params, data=body, timeout=30)
            if resp.status_code == 200 and "<Encrypt>" in resp.text:
                return "ok"
            return "late" if resp.status_code == 200 and resp.text == "success" else "error"

        return call

    return [job(p, b) for p, b in prepared]


def protocol_overhead_ms(side: WeChatSide, rounds: int = 500) -> float:
    """What the WeChat channel adds per message, in-process and without the
    bot: check signatures, defused parse, decrypt, parse, render, encrypt."""
    from wechatpy import create_reply, parse_message

    from bot.channels.wechat_inbound import parse_safe as _parse_safe, same as _same, signature as _signature

    params, body = side.prepare(text_xml(new_openid(), "你好", next_msg_id()))
    ts, n = params["timestamp"], params["nonce"]
    started = time.perf_counter()
    for _ in range(rounds):
        _same(_signature(side.token, ts, n), params["signature"])
        encrypt = _parse_safe(body).findtext("Encrypt")
        _same(_signature(side.token, ts, n, encrypt), params["msg_signature"])
        plain = side.crypto.decrypt_message({"Encrypt": encrypt}, params["msg_signature"], ts, n)
        _parse_safe(plain.encode("utf-8"))
        reply = create_reply("您好！我是政策通，可以帮您查找惠企政策。" * 5, message=parse_message(plain), render=True)
        side.crypto.encrypt_message(reply, n)
    return (time.perf_counter() - started) / rounds * 1000


def boot(env: Dict[str, str], model: Optional[Path]) -> Tuple[str, Callable[[], None]]:
    """The project's bot via the test harness (endpoints.yml: SQL tracker store), WeChat on, API faked."""
    from tests.support import servers

    model = model or servers.ensure_model()
    actions = servers.start_action_server()
    tmp = Path(tempfile.mkdtemp(prefix="zct-bench-wechat-"))
    (tmp / "credentials.yml").write_text("bot.channels.rest.OwnerRestInput:\nbot.channels.wechat.WeChatInput:\n", encoding="utf-8")
    try:
        rasa = servers.start_rasa_server(
            model, action_url=f"{actions.url}/webhook", credentials_path=tmp / "credentials.yml", env=env,
        )
    except Exception:
        actions.stop()
        raise

    def stop() -> None:
        rasa.stop()
        actions.stop()

    return rasa.url, stop


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running Rasa server (else one is booted)")
    parser.add_argument("--model", type=Path, help="model to boot (default: the project's, trained if missing)")
    parser.add_argument("--count", type=int, default=200, help="requests per path and concurrency (max 2000)")
    parser.add_argument("--concurrency", default="1,10")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    count = max(ROUNDS * 5, min(args.count, 2000))
    levels = [int(c) for c in args.concurrency.split(",")]

    stop: Callable[[], None] = lambda: None
    api = None
    if args.url:
        url = args.url.rstrip("/")
        if not url.startswith(("http://127.", "http://localhost", "http://[::1]")):
            parser.error("--url must be a loopback address")
        token, appid, aes = (os.environ.get(k, "") for k in ("WECHAT_TOKEN", "WECHAT_APPID", "WECHAT_AES_KEY"))
        if not (token and appid and aes):
            parser.error("with --url, set WECHAT_TOKEN, WECHAT_APPID and WECHAT_AES_KEY like the server's")
    else:
        token, appid = secrets.token_hex(8), "wxbench" + secrets.token_hex(5)
        aes = base64.b64encode(secrets.token_bytes(32)).decode()[:-1]
        api = FakeWeChatAPI(appid, "bench-secret")  # late answers go here, never to the internet
        env = {"WECHAT_TOKEN": token, "WECHAT_APPID": appid, "WECHAT_SECRET": "bench-secret",
               "WECHAT_AES_KEY": aes, "WECHAT_API_BASE": api.url}
        print("booting the bot (trained model + action server) …", flush=True)
        url, stop = boot(env, args.model)

    side = WeChatSide(url, token, appid, aes, "safe")
    rows = []
    try:
        # warm-up: first turns load caches on both paths
        run_phase(rest_jobs(url, 8, 2, "warm"), 2)
        run_phase(wechat_jobs(side, 8, 2), 2)
        for level in levels:
            # Interleaved rounds, fresh senders each round: background load and
            # growing trackers then weigh on both paths alike.
            totals = {p: ([], 0.0, {"ok": 0, "late": 0, "error": 0}) for p in ("REST", "WeChat")}
            for rnd in range(ROUNDS):
                chunk = count // ROUNDS
                order = ["REST", "WeChat"] if rnd % 2 == 0 else ["WeChat", "REST"]
                for path in order:
                    if path == "REST":
                        jobs = rest_jobs(url, chunk, level, secrets.token_hex(3))
                    else:
                        jobs = wechat_jobs(side, chunk, level)
                    lat, wall, outcomes = run_phase(jobs, level)
                    old = totals[path]
                    merged = {k: old[2][k] + outcomes[k] for k in outcomes}
                    totals[path] = (old[0] + lat, old[1] + wall, merged)
            for path in ("REST", "WeChat"):
                rows.append((path, level, summary(*totals[path])))
    finally:
        stop()
        if api:
            pushed = len(api.calls_of("send"))
            api.close()
            if pushed:
                print(f"note: {pushed} answers exceeded the reply budget and were pushed")

    print(f"\n{'path':<8}{'conc':>5}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>9}{'errors':>8}{'late':>6}")
    for path, level, r in rows:
        print(f"{path:<8}{level:>5}{r['n']:>6}{r['p50']:>9.1f}{r['p95']:>9.1f}{r['p99']:>9.1f}"
              f"{r['rps']:>9.1f}{r['errors']:>8}{r['late']:>6}")
    print("errors: no answer / HTTP error; late: WeChat got \"success\" (answer pushed after the "
          "budget, or the bot had nothing to say)")

    print(f"\nWeChat protocol overhead (signatures, XML, AES both ways), in-process: "
          f"{protocol_overhead_ms(side):.2f} ms per message")
    ok = True
    for level in levels:
        rest = next(r for p, c, r in rows if p == "REST" and c == level)
        wx = next(r for p, c, r in rows if p == "WeChat" and c == level)
        ratio = wx["rps"] / rest["rps"] if rest["rps"] else 0
        verdict = ratio >= 0.8
        print(f"concurrency {level}: WeChat throughput = {ratio:.0%} of REST (target >= 80%) {'OK' if verdict else 'MISSED'}")
        ok &= verdict and wx["errors"] == 0
        if level == 10:
            print(f"concurrency 10: WeChat p99 = {wx['p99']:.0f} ms (target <= 1000 ms) {'OK' if wx['p99'] <= 1000 else 'MISSED'}")
            ok &= wx["p99"] <= 1000
    return 1 if (args.strict and not ok) else 0


if __name__ == "__main__":
    sys.exit(main())
