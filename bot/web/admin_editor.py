"""The policy editor behind the admin pages: form ⇄ policy document, validation messages placed
next to the fields, "try it" against profiles and regression cases, and version diffs.

No Sanic here: handlers in bot/web/admin.py pass the submitted form as a plain dict of lists
(as `request.form` is) and render what these functions return.
"""
from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import yaml

from policies_kb import conditions, loader
from policies_kb import profile as profile_mod
from policies_kb.loader import KbError, SourceDoc
from policies_kb.matcher import STATUS_NAMES, PolicyRecord, evaluate_policies
from policies_kb.profile import ProfileError

FORM_FILE = "（表单）"
YAML_FILE = "（YAML）"
# Benefit keys that have their own inputs; any other benefit key is kept as it was.
BENEFIT_NUMBERS = ("amount_max_yuan", "term_years")
SPLIT_RE = re.compile(r"[,，、;；\s]+")

Form = Mapping[str, Any]  # field → list of values (Sanic RequestParameters) or a single value


def _get(form: Form, key: str, default: str = "") -> str:
    value = form.get(key, default) if hasattr(form, "get") else default
    if isinstance(value, list):
        value = value[0] if value else default
    return (value if isinstance(value, str) else default).strip()


def _getlist(form: Form, key: str) -> List[str]:
    if hasattr(form, "getlist"):
        values = form.getlist(key) or []
    else:
        values = form.get(key) or []
        values = values if isinstance(values, list) else [values]
    return [v.strip() for v in values if isinstance(v, str) and v.strip()]


def _lines(text: str) -> List[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _words(text: str) -> List[str]:
    return [w for w in SPLIT_RE.split(text) if w]


def _number(text: str) -> Any:
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() else number


# ---- form → document ---------------------------------------------------------------------

@dataclass
class Draft:
    """A policy document as submitted, with its problems keyed by field path ("" = general)."""
    data: Dict[str, Any]
    errors: Dict[str, List[str]] = field(default_factory=lambda: defaultdict(list))
    mode: str = "form"
    yaml_text: str = ""
    source: Optional[SourceDoc] = None  # the parsed YAML, with its real line numbers

    @property
    def ok(self) -> bool:
        return not any(self.errors.values())

    def add(self, path: str, message: str) -> None:
        self.errors[path].append(message)

    def messages(self) -> List[Tuple[str, str]]:
        return [(path, m) for path, msgs in self.errors.items() for m in msgs]


def draft_from_form(form: Form, *, base: Optional[Mapping[str, Any]] = None) -> Draft:
    """Build the document from the editor's form fields. `base` (the version being edited)
    supplies the benefit keys the form has no input for."""
    base = base or {}
    data: Dict[str, Any] = {
        "id": _get(form, "id"),
        "name": _get(form, "name"),
        "family": _get(form, "family"),
        "status": _get(form, "status") or "published",
        "issuer": _get(form, "issuer"),
        "doc_numbers": _lines(_get(form, "doc_numbers")),
    }
    draft = Draft(data)
    if _get(form, "source_url"):
        data["source_url"] = _get(form, "source_url")
    scope = _get(form, "region_scope") or "national"
    region: Dict[str, Any] = {"scope": scope}
    for level in ("province", "city", "district"):
        if _get(form, f"region_{level}"):
            region[level] = _get(form, f"region_{level}")
    data["region"] = region
    data["effective_from"] = _get(form, "effective_from")
    data["effective_to"] = _get(form, "effective_to") or None
    data["continuation_unconfirmed"] = bool(_get(form, "continuation_unconfirmed"))
    for key in ("replaced_by", "overlays"):
        if _get(form, key):
            data[key] = _get(form, key)
    data["summary"] = _get(form, "summary")
    benefit: Dict[str, Any] = {k: v for k, v in (base.get("benefit") or {}).items()
                               if k not in ("text", "local_standard", "rate") + BENEFIT_NUMBERS}
    benefit["text"] = _get(form, "benefit_text")
    benefit["local_standard"] = bool(_get(form, "benefit_local_standard"))
    for key in BENEFIT_NUMBERS:
        raw = _get(form, f"benefit_{key}")
        if raw:
            number = _number(raw)
            if number is None:
                draft.add("benefit", f"“{raw}”不是数字")
            else:
                benefit[key] = number
    if _get(form, "benefit_rate"):
        benefit["rate"] = _get(form, "benefit_rate")
    # Keep the stored key order, so the version diff shows only what was really changed.
    order = list(base.get("benefit") or {})
    data["benefit"] = {**{k: benefit[k] for k in order if k in benefit}, **benefit}
    data["to_confirm"] = _lines(_get(form, "to_confirm"))
    raw_conditions = _get(form, "conditions_json")
    try:
        data["conditions"] = json.loads(raw_conditions) if raw_conditions else {"all": []}
    except ValueError:
        data["conditions"] = base.get("conditions") or {"all": []}
        draft.add("conditions", "条件编辑器的数据无法读取，请刷新页面后重试")
    data["exclusive_with"] = _getlist(form, "exclusive_with") or _words(_get(form, "exclusive_with_text"))
    base_apply = dict(base.get("apply") or {})
    apply = {k: v for k, v in base_apply.items() if k not in ("channel", "steps", "materials", "time_limit")}
    apply.update(channel=_get(form, "apply_channel"), steps=_lines(_get(form, "apply_steps")),
                 materials=_lines(_get(form, "apply_materials")))
    if _get(form, "apply_time_limit"):
        apply["time_limit"] = _get(form, "apply_time_limit")
    data["apply"] = {**{k: apply[k] for k in base_apply if k in apply}, **apply}
    data["keywords"] = _words(_get(form, "keywords"))
    for key in ("faq", "effective_note"):  # no form input for these: kept, edited in the YAML view
        if base.get(key):
            data[key] = base[key]
    return draft


def draft_from_yaml(text: str) -> Draft:
    """The power-user path: the whole document as YAML; errors keep their line numbers."""
    doc, errors = loader.parse_text(text, YAML_FILE)
    draft = Draft(doc.data if doc else {}, mode="yaml", yaml_text=text)
    for error in errors:
        draft.add("", f"第 {error.line} 行：{error.message}")
    if doc is not None:
        for key in ("effective_from", "effective_to"):  # YAML dates → ISO text, as the form sends
            if isinstance(draft.data.get(key), dt.date):
                draft.data[key] = draft.data[key].isoformat()
        draft.source = doc
    return draft


# ---- validation placed next to the fields ------------------------------------------------

def _paths(node: Any, path: str, out: List[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            sub = f"{path}.{key}" if path else str(key)
            out.append(sub)
            _paths(value, sub, out)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            sub = f"{path}[{i}]"
            out.append(sub)
            _paths(item, sub, out)


def field_doc(data: Dict[str, Any]) -> Tuple[SourceDoc, Dict[int, str]]:
    """A SourceDoc whose "line numbers" are just distinct ids of the field paths, so each
    KbError from loader.validate_doc can be traced back to the field it is about."""
    paths: List[str] = list(loader.REQUIRED) + ["benefit.text", "apply.channel"]
    _paths(data, "", paths)
    lines: Dict[str, int] = {}
    for path in paths:
        lines.setdefault(path, len(lines) + 2)  # line 1 = "no better place" (general)
    return SourceDoc(FORM_FILE, data, lines), {line: path for path, line in lines.items()}


def validate(draft: Draft, *, known_ids: Iterable[str], policy_id: Optional[str] = None,
             new: bool = False, existing_ids: Iterable[str] = ()) -> Draft:
    """Run loader.validate_doc / validate_refs and file each message under its field."""
    data = draft.data
    if draft.mode == "yaml" and not data:
        return draft
    if policy_id and data.get("id") != policy_id:
        draft.add("id", f"不能在这里修改政策 ID（应为 {policy_id}）；如需新政策请用“新建政策”")
    if new and data.get("id") in set(existing_ids):
        draft.add("id", f"政策 ID {data.get('id')} 已存在，请换一个")
    if draft.source is not None:
        doc = draft.source
        for error in loader.validate_doc(doc, check_location=False) + loader.validate_refs([doc], known_ids):
            draft.add("", f"第 {error.line} 行：{error.message}")
        return draft
    doc, by_line = field_doc(data)
    for error in loader.validate_doc(doc, check_location=False) + loader.validate_refs([doc], known_ids):
        draft.add(error_key(by_line.get(error.line, "")), error.message)
    return draft


def error_key(path: str) -> str:
    """Where the form shows an error: condition paths stay exact (the tree editor places them
    on the row); other paths collapse to the input they came from."""
    if path.startswith("conditions"):
        return path
    path = re.sub(r"\[\d+\]$", "", path)
    if path in ("apply.steps", "apply.materials"):
        return path
    return path.split(".")[0].split("[")[0]


def condition_errors(draft: Draft) -> Dict[str, List[str]]:
    return {k: v for k, v in draft.errors.items() if k.startswith("conditions") and v}


def error_lines(errors: Sequence[KbError], names: Mapping[str, str]) -> List[str]:
    """Import errors as "文件名 第 N 行：说明", with the uploaded file's own name."""
    return [f"{names.get(e.file, e.file)} 第 {e.line} 行：{e.message}" for e in errors]


# ---- document → form ---------------------------------------------------------------------

def form_values(data: Mapping[str, Any]) -> Dict[str, Any]:
    """The editor's input values for a stored document."""
    region = data.get("region") or {}
    benefit = data.get("benefit") or {}
    apply = data.get("apply") or {}
    return {
        "id": data.get("id", ""), "name": data.get("name", ""), "family": data.get("family", ""),
        "status": data.get("status", "published"), "issuer": data.get("issuer", ""),
        "doc_numbers": "\n".join(data.get("doc_numbers") or []), "source_url": data.get("source_url") or "",
        "region_scope": region.get("scope", "national"), "region_province": region.get("province", ""),
        "region_city": region.get("city", ""), "region_district": region.get("district", ""),
        "effective_from": str(data.get("effective_from") or ""), "effective_to": str(data.get("effective_to") or ""),
        "continuation_unconfirmed": bool(data.get("continuation_unconfirmed")),
        "replaced_by": data.get("replaced_by") or "", "overlays": data.get("overlays") or "",
        "summary": data.get("summary", ""), "benefit_text": benefit.get("text", ""),
        "benefit_local_standard": bool(benefit.get("local_standard")),
        "benefit_amount_max_yuan": benefit.get("amount_max_yuan", ""), "benefit_term_years": benefit.get("term_years", ""),
        "benefit_rate": benefit.get("rate", ""),
        "to_confirm": "\n".join(data.get("to_confirm") or []),
        "conditions_json": json.dumps(data.get("conditions") or {"all": []}, ensure_ascii=False),
        "exclusive_with": list(data.get("exclusive_with") or []),
        "apply_channel": apply.get("channel", ""), "apply_steps": "\n".join(apply.get("steps") or []),
        "apply_materials": "\n".join(apply.get("materials") or []), "apply_time_limit": apply.get("time_limit", ""),
        "keywords": "、".join(data.get("keywords") or []),
    }


def to_yaml(data: Mapping[str, Any]) -> str:
    return loader.dump_yaml(dict(data)) if data else ""


def blank_policy() -> Dict[str, Any]:
    return {"id": "", "name": "", "family": "", "status": "published", "issuer": "", "doc_numbers": [],
            "region": {"scope": "national"}, "effective_from": dt.date.today().isoformat(), "effective_to": None,
            "continuation_unconfirmed": False, "summary": "", "benefit": {"text": "", "local_standard": False},
            "to_confirm": [], "conditions": {"all": []}, "exclusive_with": [],
            "apply": {"channel": "", "steps": [], "materials": []}, "keywords": []}


def editor_schema() -> Dict[str, Any]:
    """What the condition tree editor (static/admin.js) offers: fields, their types and
    vocabularies from profile_schema.json, and the operators in Chinese."""
    fields = {}
    for name, spec in profile_mod.field_specs().items():
        kind = spec.get("type")
        fields[name] = {"title": profile_mod.field_title(name), "type": kind,
                        "vocab": profile_mod.vocabulary(name) or [],
                        "hint": "YYYY-MM-DD" if spec.get("format") == "date" else ""}
    ops_by_type = {
        "boolean": ["is_true", "is_false"],
        "array": ["contains_any", "contains_all"],
        "integer": ["gt", "gte", "lt", "lte", "between", "eq", "ne"],
        "number": ["gt", "gte", "lt", "lte", "between", "eq", "ne"],
        "string": ["eq", "ne", "in", "not_in"],
    }
    # `order` too: Jinja's tojson sorts keys, and the field list should follow the schema.
    return {"fields": fields, "order": list(fields), "ops": conditions.OP_WORDS, "ops_by_type": ops_by_type,
            "list_ops": sorted(conditions.LIST_VALUE_OPS), "bool_ops": sorted(conditions.BOOL_OPS)}


# ---- try it --------------------------------------------------------------------------------

def profile_from_form(form: Form) -> Dict[str, Any]:
    """The sample profile typed into the "试一试" panel (inputs named p_<field>)."""
    profile: Dict[str, Any] = {}
    for name, spec in profile_mod.schema()["properties"].items():
        if name == "region":
            region = {sub: _get(form, f"p_region_{sub}") for sub in spec["properties"] if _get(form, f"p_region_{sub}")}
            if region:
                profile["region"] = region
        elif spec.get("type") == "array":
            chosen = _getlist(form, f"p_{name}")
            if chosen or _get(form, f"p_{name}_none"):
                profile[name] = chosen
        elif spec.get("type") == "boolean":
            raw = _get(form, f"p_{name}")
            if raw in ("true", "false"):
                profile[name] = raw == "true"
        elif spec.get("type") in ("integer", "number"):
            raw = _get(form, f"p_{name}")
            if raw:
                number = _number(raw)
                if number is None:
                    raise ProfileError(name, f"应为数字，收到“{raw}”")
                profile[name] = number
        elif _get(form, f"p_{name}"):
            profile[name] = _get(form, f"p_{name}")
    return profile


def load_cases(policy_id: str) -> List[Dict[str, Any]]:
    """policies_kb/cases/<id>.yml, as plain data (dates as ISO text)."""
    path = loader.CASES_DIR / f"{policy_id}.yml"
    if not re.fullmatch(r"[a-z][a-z0-9_]*", policy_id or "") or not path.exists():
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


def try_draft(data: Dict[str, Any], *, published: Optional[Mapping[str, Any]], profile: Dict[str, Any],
              as_of: dt.date, cases: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    """Run the (validated) draft and the published version side by side: on the sample
    profile, and on every regression case of the policy."""
    draft_record = PolicyRecord.from_data(loader.normalize(data))
    live_record = PolicyRecord.from_data(dict(published)) if published else None
    clean = profile_mod.validate_profile(profile)
    rows = []
    for case in cases:
        case_as_of = dt.date.fromisoformat(str(case["as_of"]))
        case_profile = profile_mod.validate_profile(case["profile"])
        now, before = _outcome(draft_record, case_profile, case_as_of), _outcome(live_record, case_profile, case_as_of)
        rows.append({"name": case["name"], "as_of": case_as_of.isoformat(), "expect": case["expect"],
                     "expect_name": STATUS_NAMES.get(case["expect"], case["expect"]),
                     "profile": case["profile"], "draft": now, "published": before,
                     "changed": before is not None and before["status"] != now["status"],
                     "passes": now["status"] == case["expect"]})
    return {
        "profile": clean, "as_of": as_of.isoformat(),
        "draft": _outcome(draft_record, clean, as_of), "published": _outcome(live_record, clean, as_of),
        "cases": rows, "changed": sum(r["changed"] for r in rows), "failing": sum(not r["passes"] for r in rows),
    }


# ---- versions ------------------------------------------------------------------------------

def diff_lines(old: Optional[Mapping[str, Any]], new: Optional[Mapping[str, Any]], old_name: str,
               new_name: str) -> List[Tuple[str, str]]:
    """Unified diff of two versions' YAML, as (css class, line) pairs for the page."""
    a = to_yaml(old or {}).splitlines()
    b = to_yaml(new or {}).splitlines()
    out = []
    for line in difflib.unified_diff(a, b, old_name, new_name, lineterm="", n=3):
        kind = ("hunk" if line.startswith("@@") else "meta" if line.startswith(("---", "+++"))
                else "add" if line.startswith("+") else "del" if line.startswith("-") else "ctx")
        out.append((kind, line))
    return out


def rollback_target(events: Iterable[Tuple[str, Optional[int]]]) -> Optional[int]:
    """The version one-click rollback should restore, from the policy's audit events
    (action, version), oldest first: the version that was live before the current one.

    Live versions form a stack: publish / import push; a rollback pops back to its target. So
    rolling back twice goes further back instead of undoing the first rollback, and a version
    that was rolled back away from is never restored by accident."""
    stack: List[int] = []
    for action, version in events:
        if version is None:
            continue
        if action in ("publish", "import"):
            stack.append(version)
        elif action == "rollback":
            if version in stack:
                del stack[stack.index(version) + 1:]
            else:
                stack.append(version)
    return stack[-2] if len(stack) >= 2 else None
