"""The owner profile: validation against profile_schema.json and derived fields.

Every part of 政策通 (matcher, bot actions, CLI, consoles) passes profiles as plain dicts
that follow the JSON Schema in this folder. Unknown is a normal state: a missing key means
"we do not know yet", never "no".
"""
from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional

SCHEMA_PATH = Path(__file__).with_name("profile_schema.json")

# Fields computed from the profile at matching time; conditions may use them.
DERIVED_FIELDS = {
    "months_in_business": {"title": "经营月数", "type": "integer"},
}
# The profile field an owner answers to fill a derived one.
DERIVED_FROM = {"months_in_business": "registered_on"}


class ProfileError(ValueError):
    """Bad profile input. `field` names the offending field (dotted for region)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def to_dict(self) -> Dict[str, str]:
        return {"error": "invalid_profile", "field": self.field, "message": self.message}


@lru_cache(maxsize=1)
def schema() -> Dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def field_specs() -> Dict[str, Dict[str, Any]]:
    """Flat map of every condition-usable field: region.* flattened, derived fields added."""
    specs: Dict[str, Dict[str, Any]] = {}
    for name, spec in schema()["properties"].items():
        if name == "region":
            for sub, sub_spec in spec["properties"].items():
                specs[f"region.{sub}"] = sub_spec
        else:
            specs[name] = spec
    specs.update(DERIVED_FIELDS)
    return specs


@lru_cache(maxsize=64)
def _vocabulary(field: str) -> Optional[tuple]:
    spec = field_specs().get(field, {})
    if "enum" in spec:
        return tuple(spec["enum"])
    if spec.get("type") == "array":
        return tuple(spec["items"].get("enum", [])) or None
    return None


def vocabulary(field: str) -> Optional[List[str]]:
    """Allowed values of an enum field (or of the items of a list field), else None."""
    values = _vocabulary(field)
    return list(values) if values else None


def field_title(field: str) -> str:
    return field_specs().get(field, {}).get("title", field)


def _check_type(field: str, spec: Dict[str, Any], value: Any) -> Any:
    kind = spec.get("type")
    if spec.get("format") == "date" and isinstance(value, dt.date):
        value = value.isoformat()  # Python callers and YAML files hand over date objects
    if kind == "string":
        if not isinstance(value, str) or not value.strip():
            raise ProfileError(field, "应为非空文字")
        value = value.strip()
        if "enum" in spec and value not in spec["enum"]:
            raise ProfileError(field, f"“{value}”不在可选值内：{'、'.join(spec['enum'])}")
        if spec.get("format") == "date":
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise ProfileError(field, f"日期格式应为 YYYY-MM-DD，收到“{value}”") from None
        return value
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProfileError(field, f"应为整数，收到 {value!r}")
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ProfileError(field, f"应为数字，收到 {value!r}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise ProfileError(field, f"应为 true 或 false，收到 {value!r}")
        return value
    if kind in ("integer", "number"):
        if "minimum" in spec and value < spec["minimum"]:
            raise ProfileError(field, f"不能小于 {spec['minimum']}")
        if "maximum" in spec and value > spec["maximum"]:
            raise ProfileError(field, f"不能大于 {spec['maximum']}")
    return value


def validate_profile(profile: Any) -> Dict[str, Any]:
    """Return a clean copy of `profile` or raise ProfileError naming the bad field.

    None values are treated as unknown and dropped.
    """
    if not isinstance(profile, dict):
        raise ProfileError("profile", "画像应为 JSON 对象")
    props = schema()["properties"]
    clean: Dict[str, Any] = {}
    for name, value in profile.items():
        if name not in props:
            raise ProfileError(name, f"未知字段；可用字段：{'、'.join(props)}")
        if value is None:
            continue
        spec = props[name]
        if name == "region":
            if not isinstance(value, dict):
                raise ProfileError("region", "应为对象 {province, city, district}")
            region = {}
            for sub, sub_value in value.items():
                if sub not in spec["properties"]:
                    raise ProfileError(f"region.{sub}", "未知字段；可用：province、city、district")
                if sub_value in (None, ""):
                    continue
                region[sub] = _check_type(f"region.{sub}", spec["properties"][sub], sub_value)
            if region:
                clean["region"] = region
        elif spec.get("type") == "array":
            if not isinstance(value, list):
                raise ProfileError(name, "应为列表")
            items = []
            for item in value:
                item = _check_type(name, spec["items"], item)
                if item not in items:
                    items.append(item)
            clean[name] = items
        else:
            clean[name] = _check_type(name, spec, value)
    return clean


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from start to end (negative if end is before start)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if end.day < start.day:
        months -= 1
    return months


def facts(profile: Dict[str, Any], as_of: dt.date) -> Dict[str, Any]:
    """Flatten a validated profile into the field → value map conditions read."""
    flat: Dict[str, Any] = {k: v for k, v in profile.items() if k != "region"}
    for sub, value in (profile.get("region") or {}).items():
        flat[f"region.{sub}"] = value
    registered = profile.get("registered_on")
    if registered:
        flat["months_in_business"] = max(0, months_between(dt.date.fromisoformat(registered), as_of))
    return flat
