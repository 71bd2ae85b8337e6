"""The 试一试 regression run (policies_kb/regression.py), as the editor and the review page use
it: a version side by side with the live one, on a sample profile and on every case."""
from __future__ import annotations

import copy
import datetime as dt

import pytest

from policies_kb import loader, regression

DOCS, _ = loader.read_files(loader.policy_files())
BY_ID = {d.data["id"]: loader.normalize(d.data) for d in DOCS}
STRICTER = {"all": [{"field": "entity_type", "op": "eq", "value": "小微企业", "label": "只给小微企业"}]}


def test_try_shows_the_profile_and_which_cases_change():
    live = BY_ID["startup_guaranteed_loan"]
    edited = dict(copy.deepcopy(live), conditions=STRICTER)
    cases = regression.load_cases("startup_guaranteed_loan")
    result = regression.try_draft(edited, published=live, profile={"entity_type": "个体工商户", "identities": ["退役军人"]},
                                  as_of=dt.date(2026, 6, 1), cases=cases)
    assert result["draft"]["status"] == "ineligible" and result["published"]["status"] == "eligible"
    assert result["draft"]["reasons"] and result["published"]["reasons"]
    assert len(result["cases"]) == len(cases) and result["changed"] >= 1
    changed = [c for c in result["cases"] if c["changed"]]
    assert all(c["published"]["status"] != c["draft"]["status"] for c in changed)
    unchanged = regression.try_draft(live, published=live, profile={}, as_of=dt.date(2026, 6, 1), cases=cases)
    assert unchanged["changed"] == 0 and unchanged["failing"] == 0


def test_try_a_new_policy_has_nothing_to_compare():
    data = dict(copy.deepcopy(BY_ID["vat_small_scale_1pct"]), id="brand_new_policy")
    result = regression.try_draft(data, published=None, profile={"entity_type": "个体工商户"},
                                  as_of=dt.date(2026, 6, 1), cases=regression.load_cases("brand_new_policy"))
    assert result["published"] is None and result["cases"] == []


@pytest.mark.parametrize("policy_id", ["../etc/passwd", "", "Bad"])
def test_load_cases_only_for_policy_ids(policy_id):
    assert regression.load_cases(policy_id) == []


def test_review_lists_only_the_cases_a_change_moves():
    live = BY_ID["startup_guaranteed_loan"]
    same = regression.review_cases(copy.deepcopy(live), live)
    assert same["total"] == len(regression.load_cases("startup_guaranteed_loan")) and same["shown"] == []
    stricter = regression.review_cases(dict(copy.deepcopy(live), conditions=STRICTER), live)
    assert stricter["changed"] >= 1 and stricter["shown"]
    names = {c["name"] for c in stricter["shown"]}
    assert "退役军人开个体户，个人最高 30 万" in names  # eligible before, not any more
    assert all(c["changed"] or not c["passes"] for c in stricter["shown"])
