"""Matcher benchmark: 10,000 synthetic policies × 1,000 profiles, plus import time.

Prints p50/p95 match latency per profile (status + missing + next_question for all 10,000
policies), the same with full JSON results for the top 50, and the time to import 10,000
policies into a fresh SQLite database. Targets: p95 ≤ 20 ms; import ≤ 30 s.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from policies_kb import profile as profile_mod  # noqa: E402
from policies_kb.loader import SourceDoc  # noqa: E402
from policies_kb.matcher import evaluate_policies, published_records  # noqa: E402
from bench.common import pct  # noqa: E402

FAMILIES = ["social_insurance", "startup_subsidy", "guaranteed_loan", "tax_relief", "ip_financing",
            "returnee_startup", "veteran_support", "employment"]


def vocab(field):
    return profile_mod.vocabulary(field)


def random_leaf(rng):
    kind = rng.choice(["entity_type", "industry", "identities", "employees", "monthly_sales", "taxpayer_type",
                       "insured_as", "first_startup", "months_in_business", "has_ip"])
    if kind in ("entity_type", "industry", "taxpayer_type", "insured_as"):
        return {"field": kind, "op": "in", "value": rng.sample(vocab(kind), k=rng.randint(1, 2)), "label": "x"}
    if kind == "identities":
        return {"field": kind, "op": "contains_any", "value": rng.sample(vocab(kind), k=rng.randint(1, 4)), "label": "x"}
    if kind in ("first_startup", "has_ip"):
        return {"field": kind, "op": "is_true", "label": "x"}
    return {"field": kind, "op": rng.choice(["lte", "gte"]), "value": rng.randint(1, 60), "label": "x"}


def random_policy(rng, i):
    leaves = [random_leaf(rng) for _ in range(rng.randint(2, 5))]
    tree = {"all": leaves[:-1] + [{"any": [leaves[-1], random_leaf(rng)]}]}
    start = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 2000))
    end = None if rng.random() < 0.5 else (start + dt.timedelta(days=rng.randint(100, 2000))).isoformat()
    family = rng.choice(FAMILIES)
    return {"id": f"synthetic_{i:05d}", "name": f"合成政策{i}", "family": family, "status": "published",
            "issuer": "基准测试", "doc_numbers": [f"测试〔2026〕{i}号"], "region": {"scope": "national"},
            "effective_from": start.isoformat(), "effective_to": end, "summary": "基准测试用合成政策",
            "benefit": {"text": "测试", "local_standard": rng.random() < 0.3},
            "conditions": tree, "apply": {"channel": "测试"}, "continuation_unconfirmed": rng.random() < 0.1}


def random_profile(rng):
    p = {}
    for field in ("entity_type", "industry", "taxpayer_type", "insured_as"):
        if rng.random() < 0.7:
            p[field] = rng.choice(vocab(field))
    if rng.random() < 0.7:
        p["identities"] = rng.sample(vocab("identities"), k=rng.randint(0, 2))
    if rng.random() < 0.6:
        p["employees"] = rng.randint(0, 40)
    if rng.random() < 0.6:
        p["monthly_sales"] = round(rng.uniform(0, 40), 1)
    if rng.random() < 0.5:
        p["first_startup"] = rng.random() < 0.5
    if rng.random() < 0.5:
        p["registered_on"] = (dt.date(2026, 6, 1) - dt.timedelta(days=rng.randint(0, 2000))).isoformat()
    return p



def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--policies", type=int, default=10_000)
    parser.add_argument("--profiles", type=int, default=1_000)
    args = parser.parse_args()
    rng = random.Random(7)
    docs = [random_policy(rng, i) for i in range(args.policies)]
    profiles = [random_profile(rng) for _ in range(args.profiles)]
    as_of = dt.date(2026, 6, 1)

    from policies_kb import workflow
    from policies_kb.db import migrate, session_scope

    url = f"sqlite:///{tempfile.mkdtemp(prefix='zct-bench-')}/bench.db"
    migrate(url)
    t0 = time.perf_counter()
    with session_scope(url) as session:
        workflow.deploy_docs(session=session, docs=[SourceDoc(f"{d['family']}/{d['id']}.yml", d, {}) for d in docs],
                             actor="bench")
    import_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    _, records = published_records(url)
    load_s = time.perf_counter() - t0

    status_ms, full_ms = [], []
    for p in profiles:
        clean = profile_mod.validate_profile(p)
        t0 = time.perf_counter()
        report = evaluate_policies(clean, records, as_of)
        status_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        [r.to_dict() for r in report.top(50)]
        full_ms.append(status_ms[-1] + (time.perf_counter() - t0) * 1000)
    print(f"policies={len(records.records)} profiles={len(profiles)}")
    print(f"import of {args.policies} policies: {import_s:.1f} s (target ≤ 30 s); load+compile from DB: {load_s:.2f} s")
    print(f"match per profile (all policies: status, missing, next_question): "
          f"p50 {statistics.median(status_ms):.1f} ms, p95 {pct(status_ms, 0.95):.1f} ms (target p95 ≤ 20 ms)")
    print(f"match + JSON of top 50 results with traces: p50 {statistics.median(full_ms):.1f} ms, "
          f"p95 {pct(full_ms, 0.95):.1f} ms")


if __name__ == "__main__":
    main()
