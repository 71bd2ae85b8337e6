"""The "试一试" regression cases (policies_kb/cases/<id>.yml): run a version of a policy and
the live one side by side, and say which cases change outcome or miss what they expect.

The editor's 试一试 and the review page both read this, so the author and the reviewer see
the same verdict.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence

import yaml

from policies_kb import loader
from policies_kb import profile as profile_mod
from policies_kb.compiled import PolicyRecord
from policies_kb.matcher import STATUS_NAMES, evaluate_policies


def load_cases(policy_id: str) -> List[Dict[str, Any]]:
    """policies_kb/cases/<id>.yml, as plain data (dates as ISO text); [] for anything that is
    not a policy id (the id comes from a URL)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", policy_id or ""):
        return []
    path = loader.CASES_DIR / f"{policy_id}.yml"
    if not path.exists():
        return []
    cases = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("cases") or []
    return json.loads(json.dumps(cases, default=str, ensure_ascii=False))


def _outcome(record: Optional[PolicyRecord], profile: Dict[str, Any], as_of: dt.date) -> Optional[Dict[str, Any]]:
    if record is None:
        return None
    result = evaluate_policies(profile, [record], as_of).results[0]
    data = result.to_dict()
    return {"status": result.status, "status_name": STATUS_NAMES[result.status], "reasons": data["reasons"],
            "missing": data["missing_titles"]}


def run_cases(data: Mapping[str, Any], published: Optional[Mapping[str, Any]],
              cases: Sequence[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """Each case on `data` and on the published version: outcome, changed, passes."""
    record = PolicyRecord.from_data(loader.normalize(dict(data)))
    live = PolicyRecord.from_data(dict(published)) if published else None
    rows = []
    for case in cases:
        as_of = dt.date.fromisoformat(str(case["as_of"]))
        profile = profile_mod.validate_profile(case["profile"])
        now, before = _outcome(record, profile, as_of), _outcome(live, profile, as_of)
        rows.append({"name": case["name"], "as_of": as_of.isoformat(), "expect": case["expect"],
                     "expect_name": STATUS_NAMES.get(case["expect"], case["expect"]),
                     "profile": case["profile"], "draft": now, "published": before,
                     "changed": before is not None and before["status"] != now["status"],
                     "passes": now["status"] == case["expect"]})
    return rows


def try_draft(data: Dict[str, Any], *, published: Optional[Mapping[str, Any]], profile: Dict[str, Any],
              as_of: dt.date, cases: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    """The editor's 试一试: a sample profile and every regression case of the policy."""
    clean = profile_mod.validate_profile(profile)
    draft = PolicyRecord.from_data(loader.normalize(dict(data)))
    live = PolicyRecord.from_data(dict(published)) if published else None
    rows = run_cases(data, published, cases)
    return {
        "profile": clean, "as_of": as_of.isoformat(),
        "draft": _outcome(draft, clean, as_of), "published": _outcome(live, clean, as_of),
        "cases": rows, "changed": sum(r["changed"] for r in rows), "failing": sum(not r["passes"] for r in rows),
    }


def review_cases(data: Mapping[str, Any], published: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """What the reviewer must see: the cases whose result the change moves, and the cases the
    proposed version no longer satisfies."""
    rows = run_cases(data, published, load_cases(str(data.get("id") or "")))
    return {"total": len(rows), "shown": [r for r in rows if r["changed"] or not r["passes"]],
            "changed": sum(r["changed"] for r in rows), "failing": sum(not r["passes"] for r in rows)}
