"""Every policy's regression file: profiles that must and must not match, at given dates."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from policies_kb import loader
from policies_kb.compiled import PolicyRecord
from policies_kb.matcher import match

DOCS, _ = loader.read_files(loader.policy_files())
RECORDS = [PolicyRecord.from_data(loader.normalize(d.data)) for d in DOCS if d.data.get("status") == "published"]


def _cases():
    for path in sorted(loader.CASES_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in data["cases"]:
            yield pytest.param(data["policy"], case, id=f"{data['policy']}:{case['name']}")


def test_every_policy_has_a_regression_file_with_each_outcome():
    ids = {d.data["id"] for d in DOCS}
    files = {p.stem for p in loader.CASES_DIR.glob("*.yml")}
    assert ids == files
    for path in loader.CASES_DIR.glob("*.yml"):
        expects = {c["expect"] for c in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]}
        assert {"expired"} <= expects or {"eligible", "ineligible"} <= expects, path.name
        assert len(expects) >= 2, path.name


@pytest.mark.parametrize("policy_id,case", list(_cases()))
def test_case(policy_id, case):
    as_of = case["as_of"] if isinstance(case["as_of"], dt.date) else dt.date.fromisoformat(case["as_of"])
    report = match(case["profile"], as_of, records=RECORDS)
    result = report.get(policy_id)
    assert result is not None, f"{policy_id} not published"
    assert result.status == case["expect"], result.to_dict()["reasons"]
    if "missing" in case:
        assert set(result.missing) == set(case["missing"])
