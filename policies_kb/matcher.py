"""Match an owner profile against the published policies, with reasons.

`match(profile, as_of)` returns every published policy as eligible / possible / ineligible /
expired, each with a per-condition trace, the missing fields, and the one next question
whose answer decides the most "possible" results.
"""
from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from policies_kb import clock, conditions, loader
from policies_kb.compiled import CompiledKB, PolicyRecord
from policies_kb import profile as profile_mod
from policies_kb.conditions import FAILED, PASSED, UNKNOWN

ELIGIBLE, POSSIBLE, INELIGIBLE, EXPIRED = "eligible", "possible", "ineligible", "expired"
STATUS_ORDER = {ELIGIBLE: 0, POSSIBLE: 1, INELIGIBLE: 2, EXPIRED: 3}
STATUS_NAMES = {ELIGIBLE: "符合", POSSIBLE: "可能符合", INELIGIBLE: "不符合", EXPIRED: "已到期"}
# Ties in next_question go to the question an owner answers most easily.
QUESTION_PRIORITY = ["entity_type", "identities", "industry", "taxpayer_type", "insured_as", "employees",
                     "monthly_sales", "registered_on", "first_startup", "region.province", "region.city",
                     "region.district", "has_ip", "annual_taxable_income", "total_assets"]


@dataclass
class MatchResult:
    record: PolicyRecord
    status: str
    missing: List[str] = field(default_factory=list)
    facts: Dict[str, Any] = field(default_factory=dict)
    as_of: Optional[dt.date] = None
    overlays: List[Dict[str, Any]] = field(default_factory=list)
    replaced_by_name: Optional[str] = None

    @property
    def policy_id(self) -> str:
        return self.record.id

    def trace(self) -> List[Dict[str, Any]]:
        entries: List[Dict[str, Any]] = []
        conditions.evaluate(self.record.tree, self.facts, entries)
        return entries

    def caveats(self) -> List[str]:
        d = self.record.data
        notes = []
        if d.get("continuation_unconfirmed"):
            notes.append("〔待核实〕这项政策到期后是否延续，目前还没有看到正式文件，请以当地当年文件为准。")
        if (d.get("benefit") or {}).get("local_standard"):
            notes.append("〔地方标准〕具体金额和条件由当地确定，请向当地主管部门核实。")
        notes += [f"〔待核实〕{item}" for item in d.get("to_confirm") or []]
        return notes

    def reasons(self, trace: Optional[List[Dict[str, Any]]] = None) -> List[str]:
        d, trace = self.record.data, trace if trace is not None else self.trace()
        if self.status == EXPIRED:
            if self.record.start and self.as_of and self.as_of < self.record.start:
                return [f"这项政策 {self.record.start.isoformat()} 才开始施行。"]
            line = f"这项政策已于 {self.record.end.isoformat()} 到期，现在不能再申请。"
            if d.get("continuation_unconfirmed"):
                line = f"这项政策原定执行到 {self.record.end.isoformat()}，之后是否延续尚未确认，请以当地当年文件为准。"
            if self.replaced_by_name:
                line += f"后续的相关政策是：{self.replaced_by_name}。"
            return [line]
        wanted = {ELIGIBLE: PASSED, POSSIBLE: UNKNOWN, INELIGIBLE: FAILED}[self.status]
        picked = [t["explain"] for t in trace if t["result"] == wanted]
        if self.status == POSSIBLE:
            picked = [t["explain"] for t in trace if t["result"] == PASSED][:2] + picked
        return picked or ["这项政策对所有经营者开放。"]

    def to_dict(self) -> Dict[str, Any]:
        d = self.record.data
        trace = self.trace()
        benefit = d.get("benefit") or {}
        return {
            "policy_id": d["id"],
            "name": d["name"],
            "family": d["family"],
            "family_name": loader.FAMILIES.get(d["family"], d["family"]),
            "status": self.status,
            "status_name": STATUS_NAMES[self.status],
            "reasons": self.reasons(trace),
            "missing": self.missing,
            "missing_titles": [profile_mod.field_title(f) for f in self.missing],
            "trace": trace,
            "summary": d.get("summary", ""),
            "benefit": benefit.get("text", ""),
            "benefit_detail": benefit,
            "local_standard": bool(benefit.get("local_standard")),
            "doc_numbers": d.get("doc_numbers", []),
            "issuer": d.get("issuer", ""),
            "source_url": d.get("source_url"),
            "region": d.get("region"),
            "effective_from": d.get("effective_from"),
            "effective_to": d.get("effective_to"),
            "valid_until": d.get("effective_to") or "长期有效",
            "continuation_unconfirmed": bool(d.get("continuation_unconfirmed")),
            "to_confirm": d.get("to_confirm", []),
            "caveats": self.caveats(),
            "certain": not self.caveats(),
            "replaced_by": d.get("replaced_by"),
            "exclusive_with": d.get("exclusive_with", []),
            "apply": d.get("apply", {}),
            "keywords": d.get("keywords", []),
            "local_overlays": self.overlays,
            "estimate": _estimate(self),
        }


def _estimate(result: "MatchResult") -> str:
    from policies_kb import present  # present builds on this module

    return present.estimate(result) if result.status in (ELIGIBLE, POSSIBLE) else ""


STATUS_CODES = [ELIGIBLE, POSSIBLE, INELIGIBLE, EXPIRED]  # code = rank
_FROM_OUTCOME = np.array([2, 1, 0], dtype=np.int8)  # tri-state value 0/1/2 → status code


class MatchReport:
    """Statuses, missing fields and next question for every policy; MatchResult objects
    (with traces) are built only when someone reads them."""

    def __init__(self, kb: CompiledKB, codes: np.ndarray, missing_pairs: Tuple[np.ndarray, np.ndarray],
                 facts: Dict[str, Any], as_of: dt.date, kb_version: str, profile: Dict[str, Any]):
        self.kb, self.codes, self.facts = kb, codes, facts
        self.as_of, self.kb_version, self.profile = as_of, kb_version, profile
        self._pairs = missing_pairs
        self._missing: Optional[Dict[int, List[str]]] = None
        self._results: Optional[List[MatchResult]] = None
        counts = np.bincount(missing_pairs[1], minlength=len(kb.trees.fields)) if len(codes) else []
        self.next_question = _question(Counter({kb.trees.fields[i]: int(c) for i, c in enumerate(counts) if c}))
        self.n_missing = np.bincount(missing_pairs[0], minlength=len(codes))

    @property
    def missing(self) -> Dict[int, List[str]]:
        if self._missing is None:
            out: Dict[int, List[str]] = {}
            for policy, field in zip(self._pairs[0].tolist(), self._pairs[1].tolist()):
                out.setdefault(policy, []).append(self.kb.trees.fields[field])
            self._missing = out
        return self._missing

    def _result(self, i: int) -> MatchResult:
        record = self.kb.records[i]
        result = MatchResult(record, STATUS_CODES[self.codes[i]], missing=_sorted_fields(self.missing.get(i, [])),
                             facts=self.facts, as_of=self.as_of,
                             replaced_by_name=self.kb.names.get(record.data.get("replaced_by")))
        for overlay, base in self.kb.overlays:
            if base == i and self.codes[overlay] <= 1:
                data = self.kb.records[overlay].data
                result.overlays.append({"policy_id": data["id"], "name": data["name"],
                                        "status": STATUS_CODES[self.codes[overlay]],
                                        "benefit": (data.get("benefit") or {}).get("text", "")})
        return result

    def ranked(self) -> np.ndarray:
        """Policy indices ranked: status, then confirmed before unconfirmed, then fewest missing."""
        return np.lexsort((np.arange(len(self.codes)), self.kb.family_rank, self.n_missing,
                           self.kb.unconfirmed, self.codes))

    def top(self, n: int) -> List[MatchResult]:
        return [self._result(i) for i in self.ranked()[:n].tolist()]

    @property
    def results(self) -> List[MatchResult]:
        if self._results is None:
            self._results = [self._result(i) for i in self.ranked().tolist()]
        return self._results

    def by_status(self, status: str) -> List[MatchResult]:
        return [r for r in self.results if r.status == status]

    def get(self, policy_id: str) -> Optional[MatchResult]:
        i = self.kb.index.get(policy_id)
        return None if i is None else self._result(i)

    def to_dict(self, families: Optional[Iterable[str]] = None) -> Dict[str, Any]:
        wanted = set(families) if families else None
        return {
            "as_of": self.as_of.isoformat(),
            "kb_version": self.kb_version,
            "profile": self.profile,
            "results": [r.to_dict() for r in self.results if wanted is None or r.record.data["family"] in wanted],
            "next_question": self.next_question,
        }


def _sorted_fields(fields: Iterable[str]) -> List[str]:
    return sorted(fields, key=lambda f: (QUESTION_PRIORITY.index(f) if f in QUESTION_PRIORITY else 99, f))


def _question(counts: Counter) -> Optional[Dict[str, Any]]:
    if not counts:
        return None
    rank = {f: i for i, f in enumerate(QUESTION_PRIORITY)}
    best = max(counts, key=lambda f: (counts[f], -rank.get(f, len(rank)), f))
    spec = profile_mod.field_specs().get(best, {})
    return {
        "field": best,
        "title": profile_mod.field_title(best),
        "question": spec.get("x-question") or f"请问您的{profile_mod.field_title(best)}是？",
        "options": profile_mod.vocabulary(best) or [],
        "decides": counts[best],
    }


def next_question(results: Sequence[MatchResult], exclude: Iterable[str] = ()) -> Optional[Dict[str, Any]]:
    """The unknown field whose answer decides the most "possible" results among `results`
    (fields in `exclude` — ones the owner said they do not know — are never asked)."""
    possible = [r for r in results if r.status == POSSIBLE]
    skip = set(exclude)
    question = _question(Counter(f for r in possible for f in r.missing if f not in skip))
    if question:
        question["policies"] = [r.policy_id for r in possible if question["field"] in r.missing]
    return question


def evaluate_policies(profile: Dict[str, Any], records: Union[CompiledKB, Sequence[PolicyRecord]], as_of: dt.date,
                      kb_version: str = "") -> MatchReport:
    """Match a validated profile against prepared records (no database)."""
    kb = records if isinstance(records, CompiledKB) else CompiledKB(records)
    facts = profile_mod.facts(profile, as_of)
    if not kb.records:
        empty = np.zeros(0, dtype=np.int64)
        return MatchReport(kb, np.zeros(0, dtype=np.int8), (empty, empty), facts, as_of, kb_version, profile)
    values = kb.trees.evaluate(facts)
    day = as_of.toordinal()
    codes = np.where((day < kb.start) | (day > kb.end), 3, _FROM_OUTCOME[kb.trees.outcomes(values)]).astype(np.int8)
    missing = kb.trees.deciding_unknowns(values, codes == 1)
    return MatchReport(kb, codes, missing, facts, as_of, kb_version, profile)


# ---- published policies from the database, cached by knowledge-base version ---------------

_cache_lock = threading.Lock()
_cache: Dict[str, Tuple[int, str, CompiledKB]] = {}


def kb_label(version: int, updated_at: Optional[dt.datetime]) -> str:
    return f"v{version}（{updated_at:%Y-%m-%d}）" if updated_at else f"v{version}"


def published_records(url: Optional[str] = None) -> Tuple[str, CompiledKB]:
    """Published policies, reloaded only when the knowledge-base version changed."""
    from sqlalchemy import select

    from policies_kb.db import database_url, session_scope
    from policies_kb.models import KbMeta, Policy

    key = url or database_url()
    with session_scope(key) as session:
        meta = session.get(KbMeta, 1)
        version = meta.version if meta else 0
        cached = _cache.get(key)
        if cached and cached[0] == version:
            return cached[1], cached[2]
        with _cache_lock:
            rows = session.scalars(select(Policy).where(Policy.status == "published").order_by(Policy.id))
            records = CompiledKB([PolicyRecord.from_data(row.data) for row in rows])
            label = kb_label(version, meta.updated_at if meta else None)
            _cache[key] = (version, label, records)
            return label, records


def match(profile: Dict[str, Any], as_of: Optional[dt.date] = None, *, url: Optional[str] = None,
          records: Union[CompiledKB, Sequence[PolicyRecord], None] = None) -> MatchReport:
    """Validate `profile` (raises ProfileError) and match it against the published policies."""
    clean = profile_mod.validate_profile(profile)
    as_of = as_of or clock.local_today()  # the owner's date, not the server's (UTC) one
    if records is None:
        label, records = published_records(url)
    else:
        label = "local"
    return evaluate_policies(clean, records, as_of, kb_version=label)
