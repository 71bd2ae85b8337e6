"""What every admin page shares: the URL base, the words for states and actions, a database
call in one transaction, and reading submitted form fields."""
from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Mapping

from sanic.request import Request

from policies_kb import loader, queries
from policies_kb.db import session_scope

BASE = "/console/admin"


def common() -> Dict[str, Any]:
    """Template context of every admin page."""
    return {"families": loader.FAMILIES, "status_names": loader.STATUS_WORDS, "state_names": queries.VERSION_STATES,
            "action_names": queries.ACTION_NAMES, "scope_names": loader.SCOPE_WORDS, "base": BASE}


def in_session(fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Call a policies_kb function (keyword `session`) in one transaction; for auth.run_db."""
    with session_scope() as session:
        return fn(session=session, **kwargs)


def why(request: Request) -> str:
    return (request.form.get("why") or "").strip()


# ---- submitted forms -------------------------------------------------------------------------

SPLIT_RE = re.compile(r"[,，、;；\s]+")

Form = Mapping[str, Any]  # field → list of values (Sanic RequestParameters) or a single value


def form_value(form: Form, key: str, default: str = "") -> str:
    value = form.get(key, default) if hasattr(form, "get") else default
    if isinstance(value, list):
        value = value[0] if value else default
    return (value if isinstance(value, str) else default).strip()


def form_list(form: Form, key: str) -> List[str]:
    if hasattr(form, "getlist"):
        values = form.getlist(key) or []
    else:
        values = form.get(key) or []
        values = values if isinstance(values, list) else [values]
    return [v.strip() for v in values if isinstance(v, str) and v.strip()]


def split_lines(text: str) -> List[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def split_words(text: str) -> List[str]:
    return [w for w in SPLIT_RE.split(text) if w]


def to_number(text: str) -> Any:
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() else value
