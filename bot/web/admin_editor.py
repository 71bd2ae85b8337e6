"""The policy editor behind the admin pages: form ⇄ policy document, validation messages placed
next to the fields, and the sample profile of "试一试" (run by policies_kb.regression).

No Sanic here: handlers in bot/web/admin.py pass the submitted form as a plain dict of lists
(as `request.form` is) and render what these functions return.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from policies_kb import conditions, loader, roundtrip
from policies_kb import profile as profile_mod
from policies_kb.loader import KbError, SourceDoc
from policies_kb.profile import ProfileError
from bot.web.admin_common import Form, form_list, form_value, split_lines, split_words, to_number

FORM_FILE = "（表单）"
YAML_FILE = "（YAML）"
# Benefit keys that have their own inputs; any other benefit key is kept as it was.
BENEFIT_NUMBERS = ("amount_max_yuan", "term_years")
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
        "id": form_value(form, "id"),
        "name": form_value(form, "name"),
        "family": form_value(form, "family"),
        "status": form_value(form, "status") or "published",
        "issuer": form_value(form, "issuer"),
        "doc_numbers": split_lines(form_value(form, "doc_numbers")),
    }
    draft = Draft(data)
    if form_value(form, "source_url"):
        data["source_url"] = form_value(form, "source_url")
    scope = form_value(form, "region_scope") or "national"
    region: Dict[str, Any] = {"scope": scope}
    for level in ("province", "city", "district"):
        if form_value(form, f"region_{level}"):
            region[level] = form_value(form, f"region_{level}")
    data["region"] = region
    data["effective_from"] = form_value(form, "effective_from")
    data["effective_to"] = form_value(form, "effective_to") or None
    data["continuation_unconfirmed"] = bool(form_value(form, "continuation_unconfirmed"))
    for key in ("replaced_by", "overlays"):
        if form_value(form, key):
            data[key] = form_value(form, key)
    data["summary"] = form_value(form, "summary")
    benefit: Dict[str, Any] = {k: v for k, v in (base.get("benefit") or {}).items()
                               if k not in ("text", "local_standard", "rate") + BENEFIT_NUMBERS}
    benefit["text"] = form_value(form, "benefit_text")
    benefit["local_standard"] = bool(form_value(form, "benefit_local_standard"))
    for key in BENEFIT_NUMBERS:
        raw = form_value(form, f"benefit_{key}")
        if raw:
            number = to_number(raw)
            if number is None:
                draft.add("benefit", f"“{raw}”不是数字")
            else:
                benefit[key] = number
    if form_value(form, "benefit_rate"):
        benefit["rate"] = form_value(form, "benefit_rate")
    # Keep the stored key order, so the version diff shows only what was really changed.
    order = list(base.get("benefit") or {})
    data["benefit"] = {**{k: benefit[k] for k in order if k in benefit}, **benefit}
    data["to_confirm"] = split_lines(form_value(form, "to_confirm"))
    raw_conditions = form_value(form, "conditions_json")
    try:
        data["conditions"] = json.loads(raw_conditions) if raw_conditions else {"all": []}
    except ValueError:
        data["conditions"] = base.get("conditions") or {"all": []}
        draft.add("conditions", "条件编辑器的数据无法读取，请刷新页面后重试")
    data["exclusive_with"] = form_list(form, "exclusive_with") or split_words(form_value(form, "exclusive_with_text"))
    base_apply = dict(base.get("apply") or {})
    apply = {k: v for k, v in base_apply.items() if k not in ("channel", "steps", "materials", "time_limit")}
    apply.update(channel=form_value(form, "apply_channel"), steps=split_lines(form_value(form, "apply_steps")),
                 materials=split_lines(form_value(form, "apply_materials")))
    if form_value(form, "apply_time_limit"):
        apply["time_limit"] = form_value(form, "apply_time_limit")
    data["apply"] = {**{k: apply[k] for k in base_apply if k in apply}, **apply}
    data["keywords"] = split_words(form_value(form, "keywords"))
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
    """The YAML tab: the document merged into its file, so the file's comments show too."""
    return roundtrip.render(data)


def blank_policy() -> Dict[str, Any]:
    return {"id": "", "name": "", "family": "", "status": "published", "issuer": "", "doc_numbers": [],
            "region": {"scope": "national"}, "effective_from": dt.date.today().isoformat(), "effective_to": None,
            "continuation_unconfirmed": False, "summary": "", "benefit": {"text": "", "local_standard": False},
            "to_confirm": [], "conditions": {"all": []}, "exclusive_with": [],
            "apply": {"channel": "", "steps": [], "materials": []}, "keywords": []}


def profile_fields() -> List[Dict[str, Any]]:
    """The inputs of the "试一试" panel: every profile field (region split into its parts)."""
    fields = []
    for name, spec in profile_mod.schema()["properties"].items():
        if name == "region":
            for sub, sub_spec in spec["properties"].items():
                fields.append({"name": f"region_{sub}", "title": sub_spec["title"], "type": "string", "vocab": []})
            continue
        fields.append({"name": name, "title": spec["title"], "type": spec["type"],
                       "format": spec.get("format", ""), "vocab": profile_mod.vocabulary(name) or []})
    return fields


# ---- try it --------------------------------------------------------------------------------

def profile_from_form(form: Form) -> Dict[str, Any]:
    """The sample profile typed into the "试一试" panel (inputs named p_<field>)."""
    profile: Dict[str, Any] = {}
    for name, spec in profile_mod.schema()["properties"].items():
        if name == "region":
            region = {sub: form_value(form, f"p_region_{sub}") for sub in spec["properties"] if form_value(form, f"p_region_{sub}")}
            if region:
                profile["region"] = region
        elif spec.get("type") == "array":
            chosen = form_list(form, f"p_{name}")
            if chosen or form_value(form, f"p_{name}_none"):
                profile[name] = chosen
        elif spec.get("type") == "boolean":
            raw = form_value(form, f"p_{name}")
            if raw in ("true", "false"):
                profile[name] = raw == "true"
        elif spec.get("type") in ("integer", "number"):
            raw = form_value(form, f"p_{name}")
            if raw:
                number = to_number(raw)
                if number is None:
                    raise ProfileError(name, f"应为数字，收到“{raw}”")
                profile[name] = number
        elif form_value(form, f"p_{name}"):
            profile[name] = form_value(form, f"p_{name}")
    return profile
