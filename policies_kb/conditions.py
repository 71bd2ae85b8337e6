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

# The operators the editor offers for each kind of profile field (validate accepts these).
OPS_BY_TYPE = {
    "boolean": ["is_true", "is_false"],
    "array": ["contains_any", "contains_all"],
    "integer": ["gt", "gte", "lt", "lte", "between", "eq", "ne"],
    "number": ["gt", "gte", "lt", "lte", "between", "eq", "ne"],
    "string": ["eq", "ne", "in", "not_in"],
}
GROUP_WORDS = {"all": "全部满足", "any": "满足任一", "not": "都不满足"}
OP_WORDS = {
    "eq": "为", "ne": "不为", "in": "属于", "not_in": "不属于", "contains_any": "包含其一",
    "contains_all": "全部包含", "lt": "小于", "lte": "不超过", "gt": "大于", "gte": "至少",
    "between": "介于", "is_true": "是", "is_false": "否",
}


def validate(node: Any, path: str = "conditions") -> List[Tuple[str, str]]:
    """Check a condition tree against the profile schema. Returns [(path, message)]."""
    errors: List[Tuple[str, str]] = []
    if not isinstance(node, dict):
        return [(path, "条件写法不对：应为一组条件（全部满足 all / 满足任一 any / 都不满足 not），或一条条件（画像字段 field、比较方式 op、取值 value、说明 label）")]
    groups = [k for k in ("all", "any", "not") if k in node]
    if groups:
        if len(node) != 1:
            extra = "、".join(map(str, sorted(set(node) - {groups[0]})))
            return [(path, f"一组条件只能是“{GROUP_WORDS[groups[0]]}”一种，多了：{extra}")]
        key = groups[0]
        if key == "not":
            return validate(node["not"], f"{path}.not")
        children = node[key]
        if not isinstance(children, list):
            return [(path, f"“{GROUP_WORDS[key]}”下面应列出若干条条件")]
        for i, child in enumerate(children):
            errors += validate(child, f"{path}.{key}[{i}]")
        return errors
    unknown_keys = set(node) - {"field", "op", "value", "label"}
    if unknown_keys:
        errors.append((path, f"条件里有不认识的项：{'、'.join(map(str, sorted(unknown_keys)))}"
                             "（可用：field 画像字段、op 比较方式、value 取值、label 说明）"))
    field, op = node.get("field"), node.get("op")
    specs = profile_mod.field_specs()
    if field not in specs:
        known = "、".join(f"{k}（{profile_mod.field_title(k)}）" for k in specs)
        return errors + [(path, f"画像里没有字段 {field!r}；可用：{known}")]
    if op not in OPS:
        return errors + [(path, f"不认识的比较方式 {op!r}；可用：{'、'.join(f'{k}（{w}）' for k, w in OP_WORDS.items())}")]
    if not node.get("label"):
        errors.append((path, "缺少说明：写一句给经营者看的条件说明（如“经营地在湖北省”）"))
    spec = specs[field]
    kind = spec.get("type")
    title, word = profile_mod.field_title(field), OP_WORDS[op]
    value = node.get("value")
    vocab = profile_mod.vocabulary(field)
    if op in BOOL_OPS:
        if kind != "boolean":
            errors.append((path, f"比较方式“{word}”只能用于是/否字段，“{title}”不是"))
        return errors
    if op in LIST_FIELD_OPS and kind != "array":
        errors.append((path, f"比较方式“{word}”只能用于可多选的字段（如“身份”），“{title}”不是"))
    if kind == "array" and op not in LIST_FIELD_OPS:
        errors.append((path, f"“{title}”可多选，比较方式只能是“包含其一”或“全部包含”"))
    if op in NUMERIC_OPS:
        if kind not in ("integer", "number"):
            errors.append((path, f"比较方式“{word}”只能用于数字字段，“{title}”不是"))
        if op == "between":
            ok = (isinstance(value, list) and len(value) == 2
                  and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
                  and value[0] <= value[1])
            if not ok:
                errors.append((path, f"“{title}”介于……的取值应为两个数字：下限和上限（下限不大于上限）"))
        elif not isinstance(value, (int, float)) or isinstance(value, bool):
            errors.append((path, f"“{title}”{word}……的取值应为数字"))
        return errors
    values = value if op in LIST_VALUE_OPS else [value]
    if op in LIST_VALUE_OPS and (not isinstance(value, list) or not value):
        return errors + [(path, f"“{title}”{word}……的取值至少要有一项")]
    if vocab:
        bad = [v for v in values if v not in vocab]
        if bad:
            errors.append((path, f"“{title}”的取值 {'、'.join(map(str, bad))} 不在画像词表内；可选：{'、'.join(vocab)}"))
    return errors


def editor_schema() -> Dict[str, Any]:
    """What the condition tree editor (static/admin.js) offers: fields, their types and
    vocabularies from profile_schema.json, and the operators in Chinese."""
    fields = {}
    for name, spec in profile_mod.field_specs().items():
        kind = spec.get("type")
        fields[name] = {"title": profile_mod.field_title(name), "type": kind,
                        "vocab": profile_mod.vocabulary(name) or [],
                        "hint": "YYYY-MM-DD" if spec.get("format") == "date" else ""}
    # `order` too: Jinja's tojson sorts keys, and the field list should follow the schema.
    return {"fields": fields, "order": list(fields), "ops": OP_WORDS, "ops_by_type": OPS_BY_TYPE,
            "list_ops": sorted(LIST_VALUE_OPS), "bool_ops": sorted(BOOL_OPS)}


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
