"""呼叫助手's vocabulary and form: topic and intent titles, the profile form drawn from the
schema, form values and NLU entities turned into a profile."""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from bot import vocabulary
from policies_kb import loader, normalize, present
from policies_kb import profile as profile_mod
from policies_kb.profile import ProfileError

NONE_OF_THESE = "__none__"  # the "都不是" box: identities known to be empty
MAX_TEXT = 500          # one caller turn
MAX_TURNS = 30
MAX_PICKED = 6          # policies the operator looked up for the caller
TICKET_FIELDS = ("caller_name", "caller_phone", "category", "outcome", "follow_up_on")

def topic_label(topic: str) -> str:
    families = present.INTENT_FAMILIES.get(topic)
    return "、".join(loader.FAMILIES[f] for f in families) if families else "全部政策"


def intent_label(intent: Optional[str]) -> str:
    if not intent:
        return "—"
    if intent in present.INTENT_FAMILIES:
        return f"咨询{topic_label(intent)}"
    return vocabulary.intent_title(intent)


def entity_title(entity: Optional[str]) -> str:
    """The profile field's Chinese title for an NLU entity (identity → 身份)."""
    if entity == "annual_sales":
        return "年销售额"
    field = {"identity": "identities"}.get(entity or "", entity or "")
    return (profile_mod.schema()["properties"].get(field) or {}).get("title") or field


def topic_options() -> List[Tuple[str, str]]:
    return [("", "全部政策")] + [(intent, topic_label(intent)) for intent in present.INTENT_FAMILIES]


# ---- the profile form --------------------------------------------------------------------

def form_fields() -> List[Dict[str, Any]]:
    """One entry per profile field, in schema order, with the control to draw."""
    fields = []
    for name, spec in profile_mod.schema()["properties"].items():
        kind = {"integer": "integer", "number": "number", "boolean": "boolean"}.get(spec.get("type"), "text")
        if "enum" in spec:
            kind = "enum"
        elif spec.get("type") == "array":
            kind = "multi"
        elif spec.get("format") == "date":
            kind = "date"
        elif name == "region":
            kind = "region"
        fields.append({"name": name, "title": spec.get("title", name), "kind": kind,
                       "options": profile_mod.vocabulary(name) or [], "question": spec.get("x-question", ""),
                       "parts": [{"name": f"region.{k}", "title": v.get("title", k)}
                                 for k, v in spec.get("properties", {}).items()] if kind == "region" else []})
    return fields


def profile_from_form(getlist: Callable[[str], List[str]]) -> Dict[str, Any]:
    """A profile from form values (the no-script form and GET links); ProfileError on bad input."""
    profile: Dict[str, Any] = {}
    for field in form_fields():
        name, kind = field["name"], field["kind"]
        if kind == "region":
            region = {part["name"].split(".", 1)[1]: (getlist(part["name"]) or [""])[0].strip()
                      for part in field["parts"]}
            if any(region.values()):
                profile["region"] = region
            continue
        values = [v.strip() for v in getlist(name) or [] if v is not None]
        if kind == "multi":
            if NONE_OF_THESE in values:
                profile[name] = []
            elif values:
                profile[name] = [v for v in values if v]
            continue
        value = values[0] if values else ""
        if value == "":
            continue
        try:
            if kind == "integer":
                profile[name] = int(value)
            elif kind == "number":
                profile[name] = float(value)
            elif kind == "boolean":
                profile[name] = {"true": True, "false": False}[value]
            else:
                profile[name] = value
        except (ValueError, KeyError):
            raise ProfileError(name, f"“{value}”不是有效的{field['title']}") from None
    return profile_mod.validate_profile(profile)


def slots_from_entities(entities: Iterable[Dict[str, Any]]) -> Dict[str, Any]:
    """NLU entities → the loose slot values normalize.profile_from_slots understands."""
    slots: Dict[str, Any] = {}
    for entity in entities:
        name, value = entity.get("entity"), entity.get("value")
        if value in (None, ""):
            continue
        if name == "identity":
            slots.setdefault("identities", []).append(value)
        elif name == "annual_sales":
            monthly = normalize.monthly_from_annual(value)
            if monthly is not None:
                slots.setdefault("monthly_sales", monthly)
        elif name in ("entity_type", "industry", "taxpayer_type", "employees", "monthly_sales", "region"):
            slots[name] = value
    return slots


def merge_profile(current: Dict[str, Any], found: Dict[str, Any]) -> Dict[str, Any]:
    """What the caller just said wins; identities and region parts accumulate."""
    merged = dict(current)
    for key, value in found.items():
        if key == "identities":
            merged[key] = list(dict.fromkeys((merged.get(key) or []) + value))
        elif key == "region":
            merged[key] = {**(merged.get(key) or {}), **value}
        else:
            merged[key] = value
    return merged


# ---- what the page sends back (the call's draft) ----------------------------------------

def clean_turns(raw: Any) -> List[Dict[str, Any]]:
    """Turns as the page sends them back: only what is drawn, bounded."""
    if not isinstance(raw, list):
        return []
    turns = []
    for t in raw[-MAX_TURNS:]:
        if isinstance(t, str):
            t = {"text": t}
        if not isinstance(t, dict) or not str(t.get("text") or "").strip():
            continue
        entities = [{"entity": str(e.get("entity") or "")[:40], "title": str(e.get("title") or "")[:40],
                     "value": str(e.get("value"))[:80]} for e in (t.get("entities") or [])[:10] if isinstance(e, dict)]
        turns.append({"text": str(t["text"])[:MAX_TEXT], "intent": str(t.get("intent") or "")[:60],
                      "intent_label": str(t.get("intent_label") or "—")[:40],
                      "confidence": t.get("confidence") if isinstance(t.get("confidence"), (int, float)) else 0,
                      "entities": entities})
    return turns


def clean_ticket(raw: Any) -> Dict[str, str]:
    raw = raw if isinstance(raw, dict) else {}
    return {k: str(raw.get(k) or "")[:80] for k in TICKET_FIELDS}


def picked_ids(raw: Any) -> List[str]:
    return [str(p)[:80] for p in raw[:MAX_PICKED]] if isinstance(raw, list) else []
