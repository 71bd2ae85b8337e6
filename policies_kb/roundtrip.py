"""Policy documents as YAML that keeps the files' explanatory comments.

The database stores plain JSON, so the comments live only in the repository's files. To write a
document back (export, the editor's YAML tab) the policy's file is loaded round-trip with
ruamel.yaml, the stored values are merged into it — a part whose value did not change keeps
its comments and layout — and it is dumped again. A policy with no file is written plainly.
"""
from __future__ import annotations

import copy
import datetime as dt
import io
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

import yaml

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from policies_kb import loader

DATE_KEYS = ("effective_from", "effective_to")


def _yaml() -> YAML:
    y = YAML()  # round-trip
    y.width = 4096  # never re-wrap a line the author wrapped
    y.indent(mapping=2, sequence=4, offset=2)
    y.allow_unicode = True
    # The files write an open end date as `null`, not as an empty value.
    y.representer.add_representer(type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    return y


def _plain(node: Any) -> Any:
    """A loaded node as the JSON the database stores (dates as ISO text)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, dt.date):
        return node.isoformat()
    return node


def _merge(node: Any, value: Any, key: str = "") -> Any:
    if _plain(node) == value:
        return node  # unchanged: keep it, comments and all
    if isinstance(node, CommentedMap) and isinstance(value, dict):
        for k in [k for k in node if k not in value]:
            del node[k]
        for k, v in value.items():
            node[k] = _merge(node[k], v, k) if k in node else _fresh(v, k)
        return node
    if isinstance(node, CommentedSeq) and isinstance(value, list) and len(node) == len(value):
        for i, v in enumerate(value):
            node[i] = _merge(node[i], v)
        return node
    return _fresh(value, key)


def _fresh(value: Any, key: str) -> Any:
    """A new value, written the way the files write it (dates unquoted)."""
    if key in DATE_KEYS and isinstance(value, str):
        parsed = loader._as_date(value)
        if parsed:
            return parsed
    return copy.deepcopy(value)  # never the same object twice: that would dump as an alias


def source_file(data: Mapping[str, Any], root: Path = loader.POLICY_DIR) -> Optional[Path]:
    path = Path(root) / str(data.get("family", "")) / f"{data.get('id', '')}.yml"
    return path if data.get("id") and path.is_file() else None


def render(data: Mapping[str, Any], template: Optional[str] = None) -> str:
    """`data` as YAML, merged into `template` (default: the policy's repository file)."""
    if not data:
        return ""
    if template is None:
        path = source_file(data)
        template = path.read_text(encoding="utf-8") if path else None
    y = _yaml()
    tree = y.load(template) if template else None
    if not isinstance(tree, CommentedMap):
        return plain(dict(data))
    out = io.StringIO()
    y.dump(_merge(tree, dict(data)), out)
    # A merged value keeps its old scalar style, which ruamel cannot always write back faithfully
    # (e.g. a folded text that now starts with spaces): the content must never change.
    doc, errors = loader.parse_text(out.getvalue(), "（导出）")
    if errors or doc is None or loader.normalize(doc.data) != loader.normalize(dict(data)):
        return plain(dict(data))
    return out.getvalue()


def plain(data: Dict[str, Any]) -> str:
    """A policy with no file to merge into, in the key order admins read in the files."""
    ordered = {k: data[k] for k in loader.DOC_ORDER
               if k in data and (data[k] is not None or k == "effective_to")}  # an open end is written as null
    ordered.update({k: v for k, v in data.items() if k not in ordered and v is not None})
    return yaml.dump(ordered, Dumper=_NoAliases, allow_unicode=True, sort_keys=False, width=100)


class _NoAliases(yaml.SafeDumper):
    """Import refuses anchors and aliases (sources.py), so a dump never writes them, even when
    one list object appears twice."""

    def ignore_aliases(self, data: Any) -> bool:
        return True
