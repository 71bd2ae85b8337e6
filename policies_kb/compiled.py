"""Published policies prepared for matching (`PolicyRecord`, `CompiledKB`) and the vectorised
evaluation of many condition trees at once (the matcher's hot path).

Every policy's tree is flattened into numpy arrays once per knowledge-base version:
leaf occurrences, and group nodes (all = min, any = max, not = 2 - x over the tri-state
0 failed / 1 unknown / 2 passed) ordered by height. Matching one profile then costs one
Python call per *distinct* leaf plus a handful of numpy operations, whatever the number of
policies. Results are identical to conditions.evaluate (the tests check this).
"""
from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from policies_kb import conditions, loader
from policies_kb.profile import DERIVED_FROM

FAILED_V, UNKNOWN_V, PASSED_V = 0, 1, 2
OUTCOME = {FAILED_V: conditions.FAILED, UNKNOWN_V: conditions.UNKNOWN, PASSED_V: conditions.PASSED}


class CompiledTrees:
    def __init__(self, trees: Sequence[Dict[str, Any]]):
        self.n_policies = len(trees)
        leaf_ids: Dict[Tuple[str, str, str], int] = {}
        self.leaves: List[Tuple[str, Any, Any]] = []  # (field, op function, value)
        occ_leaf, occ_parent, occ_policy = [], [], []
        group_kind, group_parent, group_height, group_children = [], [], [], []
        self.roots = np.zeros(self.n_policies, dtype=np.int64)

        def add(node, parent: int, policy: int) -> Tuple[str, int, int]:
            """Returns ("occ"|"group", index, height)."""
            if "all" in node or "any" in node or "not" in node:
                kind = "all" if "all" in node else "any" if "any" in node else "not"
                gid = len(group_kind)
                group_kind.append(kind)
                group_parent.append(parent)
                group_height.append(0)
                group_children.append([])
                children = node["not"] if kind == "not" else node[kind]
                for child in ([children] if kind == "not" else children):
                    group_children[gid].append(add(child, gid, policy))
                group_height[gid] = 1 + max((h for _, _, h in group_children[gid]), default=0)
                return "group", gid, group_height[gid]
            key = (node["field"], node["op"], json.dumps(node.get("value"), ensure_ascii=False, sort_keys=True))
            if key not in leaf_ids:
                leaf_ids[key] = len(self.leaves)
                self.leaves.append((node["field"], conditions.OPS[node["op"]], node.get("value")))
            occ_leaf.append(leaf_ids[key])
            occ_parent.append(parent)
            occ_policy.append(policy)
            return "occ", len(occ_leaf) - 1, 0

        for policy, tree in enumerate(trees):
            if not any(k in tree for k in ("all", "any", "not")):
                tree = {"all": [tree]}
            _, gid, _ = add(tree, -1, policy)
            self.roots[policy] = gid

        self.n_occ, self.n_groups = len(occ_leaf), len(group_kind)
        self.occ_leaf = np.array(occ_leaf, dtype=np.int64)
        self.occ_parent = np.array(occ_parent, dtype=np.int64)
        self.occ_policy = np.array(occ_policy, dtype=np.int64)
        self.group_parent = np.array(group_parent, dtype=np.int64)
        # Value vector layout: [occurrences | groups | PASSED constant | FAILED constant]
        self.pass_idx = self.n_occ + self.n_groups
        self.fail_idx = self.pass_idx + 1
        # Missing fields are reported as the field an owner answers (months_in_business → registered_on).
        self.fields = sorted({DERIVED_FROM.get(f, f) for f, _, _ in self.leaves})
        field_index = {f: i for i, f in enumerate(self.fields)}
        self.occ_field = np.array([field_index[DERIVED_FROM.get(self.leaves[l][0], self.leaves[l][0])]
                                   for l in occ_leaf], dtype=np.int64)

        def ref(child: Tuple[str, int, int]) -> int:
            return child[1] if child[0] == "occ" else self.n_occ + child[1]

        by_level: Dict[Tuple[int, str], List[int]] = defaultdict(list)
        for gid, kind in enumerate(group_kind):
            by_level[(group_height[gid], kind)].append(gid)
        self.levels = []  # (kind, group ids, index matrix or vector) in height order
        for (height, kind) in sorted(by_level):
            gids = by_level[(height, kind)]
            if kind == "not":
                idx = np.array([ref(group_children[g][0]) for g in gids], dtype=np.int64)
            else:
                width = max(1, max(len(group_children[g]) for g in gids))
                pad = self.pass_idx if kind == "all" else self.fail_idx  # neutral element
                idx = np.full((len(gids), width), pad, dtype=np.int64)
                for row, g in enumerate(gids):
                    idx[row, :len(group_children[g])] = [ref(c) for c in group_children[g]]
            self.levels.append((kind, np.array(gids, dtype=np.int64) + self.n_occ, idx))
        self.top_down = [(np.array(by_level[key], dtype=np.int64)) for key in sorted(by_level, reverse=True)]

    def evaluate(self, facts: Dict[str, Any]) -> np.ndarray:
        """The value vector for one profile (leaf occurrences, groups, constants)."""
        leaf_values = np.empty(len(self.leaves), dtype=np.int8)
        for i, (field, test, value) in enumerate(self.leaves):
            actual = facts.get(field)
            leaf_values[i] = UNKNOWN_V if actual is None else (PASSED_V if test(actual, value) else FAILED_V)
        values = np.empty(self.fail_idx + 1, dtype=np.int8)
        values[:self.n_occ] = leaf_values[self.occ_leaf]
        values[self.pass_idx], values[self.fail_idx] = PASSED_V, FAILED_V
        for kind, targets, idx in self.levels:
            if kind == "all":
                values[targets] = values[idx].min(axis=1)
            elif kind == "any":
                values[targets] = values[idx].max(axis=1)
            else:
                values[targets] = PASSED_V - values[idx]
        return values

    def outcomes(self, values: np.ndarray) -> np.ndarray:
        return values[self.n_occ + self.roots]

    def deciding_unknowns(self, values: np.ndarray, policy_mask: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Unique (policy index, field index) pairs: unknown leaves whose every ancestor is unknown
        too, for the policies in `policy_mask`. Field names are in self.fields."""
        empty = np.zeros(0, dtype=np.int64)
        if not self.fields:
            return empty, empty
        group_values = values[self.n_occ:self.n_occ + self.n_groups]
        ok = np.zeros(self.n_groups, dtype=bool)
        for gids in self.top_down:  # parents (greater height) first
            parents = self.group_parent[gids]
            parent_ok = np.where(parents >= 0, ok[np.maximum(parents, 0)], True)
            ok[gids] = (group_values[gids] == UNKNOWN_V) & parent_ok
        hit = (values[:self.n_occ] == UNKNOWN_V) & ok[self.occ_parent] & policy_mask[self.occ_policy]
        width = len(self.fields)
        codes = np.unique(self.occ_policy[hit] * width + self.occ_field[hit])
        return codes // width, codes % width


def _region_conditions(region: Dict[str, Any]) -> List[Dict[str, Any]]:
    scope = region.get("scope", "national")
    levels = loader.SCOPES[1:loader.SCOPES.index(scope) + 1] if scope in loader.SCOPES else ()
    place = "".join(region.get(level, "") for level in levels)
    return [{"field": f"region.{level}", "op": "eq", "value": region[level],
             "label": f"经营地在{place}（本政策只适用于该地）"} for level in levels]


@dataclass
class PolicyRecord:
    """A published policy prepared for matching: dates parsed, conditions compiled."""
    data: Dict[str, Any]
    tree: Dict[str, Any]
    start: Optional[dt.date]
    end: Optional[dt.date]

    @classmethod
    def from_data(cls, data: Dict[str, Any]) -> "PolicyRecord":
        region_leaves = _region_conditions(data.get("region") or {})
        tree = data.get("conditions") or {"all": []}
        if region_leaves:
            tree = {"all": region_leaves + [tree]}
        return cls(data=data, tree=tree, start=loader._as_date(data.get("effective_from")),
                   end=loader._as_date(data.get("effective_to")))

    @property
    def id(self) -> str:
        return self.data["id"]


class CompiledKB:
    """Published policies prepared for matching: trees vectorised, dates and ranks as arrays."""

    def __init__(self, records: Sequence[PolicyRecord]):
        self.records = list(records)
        self.index = {r.id: i for i, r in enumerate(self.records)}
        self.trees = CompiledTrees([r.tree for r in self.records])
        self.start = np.array([r.start.toordinal() if r.start else -(10 ** 9) for r in self.records], dtype=np.int64)
        self.end = np.array([r.end.toordinal() if r.end else 10 ** 9 for r in self.records], dtype=np.int64)
        self.unconfirmed = np.array([bool(r.data.get("continuation_unconfirmed")) for r in self.records])
        families = sorted({r.data["family"] for r in self.records})
        self.family_rank = np.array([families.index(r.data["family"]) for r in self.records], dtype=np.int64)
        self.names = {r.id: r.data["name"] for r in self.records}
        self.overlays = [(i, self.index[r.data["overlays"]]) for i, r in enumerate(self.records)
                         if r.data.get("overlays") in self.index]
