"""The eligibility condition language: a tree of all / any / not and {field, op, value} leaves.

Evaluation is three-valued: PASSED, FAILED, UNKNOWN (the profile does not tell yet).
Nothing here evaluates strings as code.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from policies_kb import profile as profile_mod

PASSED, FAILED, UNKNOWN = "passed", "failed", "unknown"

ScalarOp = Callable[[Any, Any], bool]

OPS: Dict[str, ScalarOp] = {
    "eq": lambda actual, value: actual == value,
    "ne": lambda actual, value: actual != value,
    "in": lambda actual, value: actual in value,
    "not_in": lambda actual, value: actual not in value,
    "contains_any": lambda actual, value: any(v in actual for v in value),
    "contains_all": lambda actual, value: all(v in actual for v in value),
    "lt": lambda actual, value: actual < value,
    "lte": lambda actual, value: actual <= value,
    "gt": lambda actual, value: actual > value,
    "gte": lambda actual, value: actual >= value,
    "between": lambda actual, value: value[0] <= actual <= value[1],
    "is_true": lambda actual, value: actual is True,
    "is_false": lambda actual, value: actual is False,
}
NUMERIC_OPS = {"lt", "lte", "gt", "gte", "between"}
LIST_VALUE_OPS = {"in", "not_in", "contains_any", "contains_all"}
BOOL_OPS = {"is_true", "is_false"}
LIST_FIELD_OPS = {"contains_any", "contains_all"}

OP_WORDS = {
    "eq": "为", "ne": "不为", "in": "属于", "not_in": "不属于", "contains_any": "包含其一",
    "contains_all": "全部包含", "lt": "小于", "lte": "不超过", "gt": "大于", "gte": "至少",
    "between": "介于", "is_true": "是", "is_false": "否",
}


def validate(node: Any, path: str = "conditions") -> List[Tuple[str, str]]:
    """Check a condition tree against the profile schema. Returns [(path, message)]."""
    errors: List[Tuple[str, str]] = []
    if not isinstance(node, dict):
        return [(path, "条件应为对象（all / any / not 或 field/op/value）")]
    groups = [k for k in ("all", "any", "not") if k in node]
    if groups:
        if len(node) != 1:
            return [(path, f"组合条件只能有一个键（{groups[0]}），多了：{sorted(set(node) - {groups[0]})}")]
        key = groups[0]
        if key == "not":
            return validate(node["not"], f"{path}.not")
        children = node[key]
        if not isinstance(children, list):
            return [(path, f"{key} 后面应为列表")]
        for i, child in enumerate(children):
            errors += validate(child, f"{path}.{key}[{i}]")
        return errors
    unknown_keys = set(node) - {"field", "op", "value", "label"}
    if unknown_keys:
        errors.append((path, f"未知的键：{sorted(unknown_keys)}"))
    field, op = node.get("field"), node.get("op")
    specs = profile_mod.field_specs()
    if field not in specs:
        return errors + [(path, f"未知字段 {field!r}；可用：{'、'.join(specs)}")]
    if op not in OPS:
        return errors + [(path, f"未知运算 {op!r}；可用：{'、'.join(OPS)}")]
    if not node.get("label"):
        errors.append((path, "缺少 label（给经营者看的一句话条件说明）"))
    spec = specs[field]
    kind = spec.get("type")
    value = node.get("value")
    vocab = profile_mod.vocabulary(field)
    if op in BOOL_OPS:
        if kind != "boolean":
            errors.append((path, f"{op} 只能用于是/否字段，{field} 不是"))
        return errors
    if op in LIST_FIELD_OPS and kind != "array":
        errors.append((path, f"{op} 只能用于列表字段（如 identities），{field} 不是"))
    if kind == "array" and op not in LIST_FIELD_OPS:
        errors.append((path, f"列表字段 {field} 只能用 contains_any / contains_all"))
    if op in NUMERIC_OPS:
        if kind not in ("integer", "number"):
            errors.append((path, f"{op} 只能用于数字字段，{field} 不是"))
        if op == "between":
            ok = (isinstance(value, list) and len(value) == 2
                  and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
                  and value[0] <= value[1])
            if not ok:
                errors.append((path, "between 的 value 应为 [下限, 上限] 两个数字"))
        elif not isinstance(value, (int, float)) or isinstance(value, bool):
            errors.append((path, f"{op} 的 value 应为数字"))
        return errors
    values = value if op in LIST_VALUE_OPS else [value]
    if op in LIST_VALUE_OPS and (not isinstance(value, list) or not value):
        return errors + [(path, f"{op} 的 value 应为非空列表")]
    if vocab:
        bad = [v for v in values if v not in vocab]
        if bad:
            errors.append((path, f"{field} 的取值 {bad} 不在画像词表内：{'、'.join(vocab)}"))
    return errors


def evaluate(node: Dict[str, Any], facts: Dict[str, Any], trace: Optional[list] = None) -> str:
    """Evaluate a tree against flattened profile facts; append leaf outcomes to `trace`."""
    if "all" in node or "any" in node:
        is_all = "all" in node
        results = [evaluate(child, facts, trace) for child in node["all" if is_all else "any"]]
        decisive, other = (FAILED, PASSED) if is_all else (PASSED, FAILED)
        if decisive in results:
            return decisive
        return UNKNOWN if UNKNOWN in results else other
    if "not" in node:
        inner = evaluate(node["not"], facts, trace)
        return {PASSED: FAILED, FAILED: PASSED}.get(inner, UNKNOWN)
    field = node["field"]
    actual = facts.get(field)
    if actual is None:
        outcome = UNKNOWN
    else:
        outcome = PASSED if OPS[node["op"]](actual, node.get("value")) else FAILED
    if trace is not None:
        trace.append(_trace_entry(node, outcome, actual))
    return outcome


def compile_tree(node: Dict[str, Any]) -> Callable[[Dict[str, Any]], str]:
    """Compile a tree into a closure returning only the outcome (no trace) — the hot path."""
    if "all" in node or "any" in node:
        is_all = "all" in node
        children = [compile_tree(c) for c in node["all" if is_all else "any"]]
        decisive, other = (FAILED, PASSED) if is_all else (PASSED, FAILED)

        def group(facts: Dict[str, Any]) -> str:
            unknown = False
            for child in children:
                outcome = child(facts)
                if outcome == decisive:
                    return decisive
                if outcome == UNKNOWN:
                    unknown = True
            return UNKNOWN if unknown else other
        return group
    if "not" in node:
        inner = compile_tree(node["not"])
        flip = {PASSED: FAILED, FAILED: PASSED, UNKNOWN: UNKNOWN}
        return lambda facts: flip[inner(facts)]
    field, test, value = node["field"], OPS[node["op"]], node.get("value")

    def leaf(facts: Dict[str, Any]) -> str:
        actual = facts.get(field)
        if actual is None:
            return UNKNOWN
        return PASSED if test(actual, value) else FAILED
    return leaf


def fields_in(node: Dict[str, Any]) -> List[str]:
    if "all" in node or "any" in node:
        return [f for c in node.get("all", node.get("any", [])) for f in fields_in(c)]
    if "not" in node:
        return fields_in(node["not"])
    return [node["field"]]


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_show(v) for v in value)
    return str(value)


def _trace_entry(node: Dict[str, Any], outcome: str, actual: Any) -> Dict[str, Any]:
    field = node["field"]
    label = node.get("label") or f"{profile_mod.field_title(field)}{OP_WORDS[node['op']]}{_show(node.get('value', ''))}"
    title = profile_mod.field_title(field)
    if outcome == PASSED:
        explain = f"✓ {label}（您的{title}：{_show(actual)}）"
    elif outcome == FAILED:
        explain = f"✗ {label}（您的{title}：{_show(actual)}）"
    else:
        explain = f"? {label}（还不知道您的{title}）"
    return {"field": field, "result": outcome, "label": label, "explain": explain}


def unknown_fields(node: Dict[str, Any], facts: Dict[str, Any], out: Set[str]) -> str:
    """Evaluate and collect the unknown fields that can still change the outcome."""
    if "all" in node or "any" in node:
        children = node.get("all", node.get("any"))
        local: Set[str] = set()
        outcomes = [unknown_fields(c, facts, local) for c in children]
        decisive, other = (FAILED, PASSED) if "all" in node else (PASSED, FAILED)
        if decisive in outcomes:
            return decisive
        if UNKNOWN in outcomes:
            out |= local
            return UNKNOWN
        return other
    if "not" in node:
        inner = unknown_fields(node["not"], facts, out)
        return {PASSED: FAILED, FAILED: PASSED}.get(inner, UNKNOWN)
    if facts.get(node["field"]) is None:
        out.add(profile_mod.DERIVED_FROM.get(node["field"], node["field"]))
        return UNKNOWN
    return PASSED if OPS[node["op"]](facts[node["field"]], node.get("value")) else FAILED


MARKS = {PASSED: "✅", FAILED: "❌", UNKNOWN: "❔"}


def describe(node: Dict[str, Any], facts: Dict[str, Any], depth: int = 0) -> List[str]:
    """The conditions in plain words, each marked against what the owner said (✅ met, ❌ not met,
    ❔ not known yet); an `any` group reads "满足其中一种"."""
    pad = "  " * depth
    if "all" in node:
        return [line for child in node["all"] for line in describe(child, facts, depth)]
    if "any" in node:
        lines = [f"{pad}满足以下其中一种即可："]
        for i, child in enumerate(node["any"], 1):
            inner = describe(child, facts, depth + 1)
            lines += [f"{pad}  {'（' + str(i) + '）' if len(inner) > 1 else ''}{inner[0].strip()}"] + inner[1:]
        return lines
    if "not" in node:
        inner = node["not"]
        outcome = {PASSED: FAILED, FAILED: PASSED}.get(evaluate(inner, facts), UNKNOWN)
        return [f"{pad}{MARKS[outcome]} 不属于：{inner.get('label') or inner.get('field')}"]
    return [f"{pad}{MARKS[evaluate(node, facts)]} {node.get('label') or node.get('field')}"]
