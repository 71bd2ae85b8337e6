"""Helpers the benchmark scripts share: percentiles and a concurrent load loop."""
from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, List, Sequence, Tuple


def pct(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) of values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run_load(fn: Callable[[int], object], n: int, concurrency: int) -> Tuple[float, float, float, float]:
    """Call fn(0..n-1) from `concurrency` threads; return p50, p95, p99 (ms) and requests/s."""
    latencies: List[float] = []

    def one(i: int) -> None:
        t0 = time.perf_counter()
        fn(i)
        latencies.append((time.perf_counter() - t0) * 1000)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(n)))
    wall = time.perf_counter() - t0
    return statistics.median(latencies), pct(latencies, 0.95), pct(latencies, 0.99), n / wall
