"""Read-only questions about the knowledge base, for the admin pages and the CLI: the policy
list, a policy's versions and history, the review queue, the audit log, files vs database,
and export. Rows come back as plain dicts (times as 北京时间 text), ready to render.
"""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from policies_kb import changes, clock, loader, regression, roundtrip, workflow
from policies_kb.models import AuditLog, Policy, PolicyVersion, utcnow

VERSION_STATES = {"draft": "草稿", "in_review": "待审核", "published": "现行", "superseded": "历史版本",
                  "rejected": "已退回"}
ACTION_NAMES = {"import": "导入", "propose_import": "导入（待审核）", "save_draft": "保存草稿", "submit": "提交审核",
                "publish": "发布", "reject": "退回", "rollback": "回滚"}
OPEN_STATES = ("draft", "in_review")


def bj(value: Optional[dt.datetime]) -> str:
    """A stored UTC time as 北京时间 text (the product's zone, policies_kb.clock)."""
    return clock.local_time(value)


def today() -> dt.date:
    return clock.local_today()


def version_dict(row: PolicyVersion) -> Dict[str, Any]:
    return {"policy_id": row.policy_id, "version": row.version, "state": row.state,
            "state_name": VERSION_STATES.get(row.state, row.state), "name": (row.data or {}).get("name", ""),
            "created_at": bj(row.created_at), "created_by": row.created_by, "note": row.note,
            "reviewed_by": row.reviewed_by, "data": row.data}


def audit_dict(e: AuditLog) -> Dict[str, Any]:
    return {"at": bj(e.at), "actor": e.actor, "action": e.action, "action_name": ACTION_NAMES.get(e.action, e.action),
            "policy_id": e.policy_id, "version": e.version, "why": e.why, "detail": e.detail}


def _policy_dict(row: Policy, day: dt.date) -> Dict[str, Any]:
    place = "".join(p for p in (row.province, row.city, row.district) if p) or "全国"
    return {"id": row.id, "name": row.name, "family": row.family, "status": row.status,
            "region": place, "scope": row.region_scope, "effective_from": row.effective_from,
            "effective_to": row.effective_to, "days_left": (row.effective_to - day).days if row.effective_to else None,
            "continuation_unconfirmed": row.continuation_unconfirmed, "version": row.version,
            "updated_at": bj(row.updated_at), "updated_by": row.updated_by, "data": row.data}


def versions(*, session: Session, policy_id: str) -> List[PolicyVersion]:
    return list(session.scalars(select(PolicyVersion).where(PolicyVersion.policy_id == policy_id)
                                .order_by(PolicyVersion.version.desc())))


def audit_log(*, session: Session, policy_id: Optional[str] = None, actor: str = "", action: str = "",
              limit: int = 200) -> List[AuditLog]:
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    for column, value in ((AuditLog.policy_id, policy_id), (AuditLog.actor, actor), (AuditLog.action, action)):
        if value:
            query = query.where(column == value)
    return list(session.scalars(query))


def recent_rollbacks(*, session: Session, days: int = 7) -> List[Dict[str, Any]]:
    """Rollbacks need no second admin, so every admin is shown them for a week."""
    since = utcnow() - dt.timedelta(days=days)
    rows = session.scalars(select(AuditLog).where(AuditLog.action == "rollback", AuditLog.at >= since)
                           .order_by(AuditLog.id.desc()))
    return [audit_dict(e) for e in rows]


# ---- the policy list -------------------------------------------------------------------------

def _matches(p: Dict[str, Any], filters: Dict[str, str], pending: Dict[str, Any]) -> bool:
    text = " ".join([p["id"], p["name"], " ".join(p["data"].get("doc_numbers") or []),
                     " ".join(p["data"].get("keywords") or []), p["data"].get("summary", "")]).lower()
    expiring = int(filters["expiring"]) if (filters.get("expiring") or "").isdigit() else 0
    status = filters.get("status")
    return not (
        filters.get("q") and filters["q"].lower() not in text
        or filters.get("family") and p["family"] != filters["family"]
        or status == "pending" and p["id"] not in pending
        or status in loader.STATUSES and p["status"] != status
        or filters.get("region") and filters["region"] not in p["region"]
        or expiring and not (p["days_left"] is not None and 0 <= p["days_left"] <= expiring)
        or filters.get("unconfirmed") and not p["continuation_unconfirmed"])


def policy_list(*, session: Session, filters: Dict[str, str]) -> Dict[str, Any]:
    """Live policies matching the filters, each with its newest unpublished version."""
    day = today()
    live = [_policy_dict(row, day) for row in session.scalars(select(Policy).order_by(Policy.family, Policy.id))]
    live_versions = {p["id"]: p["version"] for p in live}
    pending: Dict[str, Dict[str, Any]] = {}
    for row in session.scalars(select(PolicyVersion).where(PolicyVersion.state.in_(OPEN_STATES))
                               .order_by(PolicyVersion.policy_id, PolicyVersion.version.desc())):
        if row.policy_id not in pending and row.version > live_versions.get(row.policy_id, 0):
            pending[row.policy_id] = version_dict(row)
    rows = [{**p, "pending": pending.get(p["id"])} for p in live if _matches(p, filters, pending)]
    new_drafts = [v for pid, v in pending.items() if pid not in live_versions]
    return {"rows": rows, "total": len(live), "new_drafts": new_drafts,
            "review_count": sum(v["state"] == "in_review" for v in pending.values()),
            "rollbacks": recent_rollbacks(session=session)}


# ---- one policy -------------------------------------------------------------------------------

def editor_state(*, session: Session, policy_id: Optional[str], version: Optional[int] = None) -> Dict[str, Any]:
    """The live document, the version to edit (default: newest open draft, else live), every
    known policy id and name (for references) and the versions list."""
    live = session.get(Policy, policy_id) if policy_id else None
    rows = versions(session=session, policy_id=policy_id) if policy_id else []
    chosen = None
    if version is not None:
        chosen = next((v for v in rows if v.version == version), None)
    elif rows and (live is None or rows[0].version > live.version) and rows[0].state in OPEN_STATES:
        chosen = rows[0]  # carry on from the open draft rather than beside it
    elif live is None and rows:
        chosen = rows[0]
    live_data = dict(live.data) if live else None
    ids = set(session.scalars(select(Policy.id))) | set(session.scalars(select(PolicyVersion.policy_id)))
    return {"live": live_data, "live_version": live.version if live else None,
            "editing": dict(chosen.data) if chosen else live_data,
            "editing_version": chosen.version if chosen else (live.version if live else None),
            "versions": [version_dict(v) for v in rows], "all_ids": sorted(ids),
            "names": {row.id: row.name for row in session.scalars(select(Policy))}}


def history(*, session: Session, policy_id: str, a: Optional[int] = None,
            b: Optional[int] = None) -> Optional[Dict[str, Any]]:
    """Versions, the policy's audit log, the one-click rollback target and the field changes
    between versions a and b (default: live → newest)."""
    rows = [version_dict(v) for v in versions(session=session, policy_id=policy_id)]
    if not rows:
        return None
    live = session.get(Policy, policy_id)
    live_version = live.version if live else None
    by_version = {v["version"]: v for v in rows}
    if a not in by_version or b not in by_version:
        b = rows[0]["version"]
        a = live_version if live_version and live_version != b else (rows[1]["version"] if len(rows) > 1 else b)
    return {"policy_id": policy_id, "versions": rows, "live_version": live_version,
            "audit": [audit_dict(e) for e in audit_log(session=session, policy_id=policy_id)],
            "name": (by_version.get(live_version) or rows[0])["name"], "a": a, "b": b,
            "changes": changes.field_changes(by_version[a]["data"], by_version[b]["data"]),
            "rollback_to": workflow.rollback_target(session=session, policy_id=policy_id)}


def review_queue(*, session: Session) -> List[Dict[str, Any]]:
    """Every version waiting for review, with its field changes against the live version and
    the regression cases whose result it changes."""
    items = []
    for row in session.scalars(select(PolicyVersion).where(PolicyVersion.state == "in_review")
                               .order_by(PolicyVersion.created_at, PolicyVersion.id)):
        live = session.get(Policy, row.policy_id)
        live_data = live.data if live else None
        items.append({**version_dict(row), "is_new": live is None, "live_version": live.version if live else None,
                      "changes": changes.field_changes(live_data, row.data),
                      "cases": regression.review_cases(row.data, live_data)})
    return items


# ---- files vs database, export ---------------------------------------------------------------

def file_diff(*, session: Session, root: Path = loader.POLICY_DIR) -> Dict[str, Any]:
    """Files vs database: what a deploy would change, and what the database has that files lack."""
    docs, errors = loader.read_files(loader.policy_files(root))
    files = {d.data.get("id"): loader.normalize(d.data) for d in docs}
    live = {row.id: row.data for row in session.scalars(select(Policy))}
    changed = {}
    for pid in sorted(set(files) & set(live)):
        keys = sorted(k for k in set(files[pid]) | set(live[pid]) if files[pid].get(k) != live[pid].get(k))
        if keys:
            changed[pid] = keys
    version, updated_at = workflow.kb_version(session=session)
    return {
        "only_in_files": sorted(set(files) - set(live)),
        "only_in_db": sorted(set(live) - set(files)),
        "changed": changed,
        "errors": [str(e) for e in errors],
        "in_sync": not (set(files) ^ set(live)) and not changed and not errors,
        "kb_version": version, "kb_updated_at": updated_at,
    }


def exported(*, session: Session, statuses: Tuple[str, ...] = ("published",)) -> Dict[str, str]:
    """<family>/<id>.yml → text of each live policy, keeping its file's comments."""
    rows = session.scalars(select(Policy).where(Policy.status.in_(statuses)).order_by(Policy.id))
    return {f"{row.family}/{row.id}.yml": roundtrip.render(row.data) for row in rows}


def export(*, session: Session, dest: Path, statuses: Tuple[str, ...] = ("published",)) -> List[Path]:
    """Write each live policy to dest/<family>/<id>.yml, the same layout as the repo."""
    written = []
    for name, text in exported(session=session, statuses=statuses).items():
        path = Path(dest) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def export_zip(*, session: Session) -> Tuple[bytes, int]:
    """The published set as a zip (what the console downloads) and the knowledge-base version."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in exported(session=session).items():
            archive.writestr(name, text.encode("utf-8"))
    return buffer.getvalue(), workflow.kb_version(session=session)[0]
