"""What changed between two versions of a policy, field by field, in the admin's words.

The reviewer reads "最高金额（元）：300000 → 500000", not a YAML diff. Only real changes show:
key order never counts, nor the order of lists whose order means nothing (keywords,
不能同时享受, the values of one condition, the conditions of one group) — the editor lists
those its own way.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Dict, List, Mapping, Optional

from policies_kb import conditions, loader
from policies_kb import profile as profile_mod

# Fields whose lists are sets: their order changes nothing for the owner.
UNORDERED = {"keywords", "exclusive_with"}
NESTED = ("benefit", "apply")


def _empty(value: Any) -> bool:
    return value in (None, "", [], {})


def words(path: str, value: Any) -> List[str]:
    """A field's value as the lines a person reads."""
    if _empty(value):
        return ["（空）"]
    if isinstance(value, bool):
        return ["是" if value else "否"]
    if path == "family":
        return [loader.FAMILIES.get(value, value)]
    if path == "status":
        return [loader.STATUS_WORDS.get(value, value)]
    if path == "region":
        place = "".join(value.get(k, "") for k in ("province", "city", "district"))
        return [f"{loader.SCOPE_WORDS.get(value.get('scope'), value.get('scope'))}{'：' + place if place else ''}"]
    if path == "faq":
        return [f"问（{'、'.join(map(str, item.get('ask') or []))}）答：{item.get('answer', '')}"
                if isinstance(item, dict) else str(item) for item in value]
    if isinstance(value, list):
        return [str(item) for item in value]
    if isinstance(value, dict):
        return [f"{k}：{v}" for k, v in value.items()]
    return [str(value)]


def _value_words(field: str, op: str, value: Any) -> str:
    if op == "between" and isinstance(value, list) and len(value) == 2:
        return f"{value[0]} 到 {value[1]} 之间"
    values = value if isinstance(value, list) else [value]
    if field in profile_mod.field_specs() and profile_mod.vocabulary(field):
        vocab = profile_mod.vocabulary(field)
        values = sorted(values, key=lambda v: (vocab.index(v) if v in vocab else len(vocab), str(v)))
    return "、".join(str(v) for v in values)


def condition_lines(node: Any, group: str = "") -> List[str]:
    """Each condition as one sentence, prefixed with the groups it sits in."""
    if not isinstance(node, dict):
        return []
    for key in ("all", "any"):
        if key in node:
            inner = group if key == "all" and not group else f"{group}{conditions.GROUP_WORDS[key]} › "
            return [line for child in node[key] or [] for line in condition_lines(child, inner)]
    if "not" in node:
        return condition_lines(node["not"], f"{group}{conditions.GROUP_WORDS['not']} › ")
    field, op = node.get("field", ""), node.get("op", "")
    sentence = f"{profile_mod.field_title(field)} {conditions.OP_WORDS.get(op, op)}"
    if op not in conditions.BOOL_OPS:
        sentence += f" {_value_words(field, op, node.get('value'))}"
    return [f"{group}{sentence}（说明：{node.get('label') or '无'}）"]


def _change(path: str, before: Any, after: Any) -> Optional[Dict[str, Any]]:
    if _empty(before) and _empty(after):
        return None
    title = loader.field_title(path)
    if path == "conditions":
        old, new = Counter(condition_lines(before)), Counter(condition_lines(after))
        if old == new:
            return None
        return {"field": title, "kind": "list", "removed": sorted((old - new).elements()),
                "added": sorted((new - old).elements()), "reordered": False}
    if path in UNORDERED or path in ("doc_numbers", "to_confirm", "apply.steps", "apply.materials", "faq"):
        old, new = words(path, before), words(path, after)
        if old == new or path in UNORDERED and Counter(old) == Counter(new):
            return None
        removed, added = Counter(old) - Counter(new), Counter(new) - Counter(old)
        return {"field": title, "kind": "list", "removed": [w for w in old if removed[w]],
                "added": [w for w in new if added[w]], "reordered": not removed and not added}
    if before == after:
        return None
    return {"field": title, "kind": "value", "before": words(path, before), "after": words(path, after)}


def field_changes(old: Optional[Mapping[str, Any]], new: Optional[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """The changes from `old` to `new` (None: a policy that does not exist yet), in the order
    the editor shows the fields. Each: {field, kind: value|list, before/after | removed/added}."""
    old, new = dict(old or {}), dict(new or {})
    keys = [k for k in loader.DOC_ORDER if k in old or k in new]
    keys += sorted(k for k in set(old) | set(new) if k not in loader.DOC_ORDER)
    out = []
    for key in keys:
        if key in NESTED and isinstance(old.get(key, {}), dict) and isinstance(new.get(key, {}), dict):
            a, b = old.get(key) or {}, new.get(key) or {}
            subkeys = list(dict.fromkeys([*a, *b]))
            for sub in sorted(subkeys, key=lambda s: (f"{key}.{s}" not in loader.FIELD_TITLES, subkeys.index(s))):
                change = _change(f"{key}.{sub}", a.get(sub), b.get(sub))
                if change:
                    out.append(change)
            continue
        change = _change(key, old.get(key), new.get(key))
        if change:
            out.append(change)
    return out
