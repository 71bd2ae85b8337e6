"""Admin operations on the knowledge base: import, export, diff, drafts, review, publish, rollback.

Every function takes the session as a keyword argument and leaves committing to the caller's
`session_scope()`, so each command is one transaction: it all happens or nothing does.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from policies_kb import loader
from policies_kb.loader import KbError, SourceDoc
from policies_kb.models import AuditLog, KbMeta, Policy, PolicyVersion, utcnow


class KbValidationError(ValueError):
    def __init__(self, errors: List[KbError]):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


class KbStateError(ValueError):
    """An operation that does not fit the policy's current state (e.g. self-review)."""


# ---- knowledge-base version -------------------------------------------------------------

def kb_version(*, session: Session) -> Tuple[int, Optional[dt.datetime]]:
    meta = session.get(KbMeta, 1)
    return (meta.version, meta.updated_at) if meta else (0, None)


def _bump(session: Session) -> None:
    meta = session.get(KbMeta, 1)
    if meta is None:
        session.add(KbMeta(id=1, version=1, updated_at=utcnow()))
    else:
        meta.version += 1
        meta.updated_at = utcnow()


def _audit(session: Session, actor: str, action: str, policy_id: Optional[str], version: Optional[int],
           why: str = "", detail: Any = None) -> None:
    session.add(AuditLog(at=utcnow(), actor=actor, action=action, policy_id=policy_id,
                         version=version, why=why or "", detail=detail))


def _next_version(session: Session, policy_id: str) -> int:
    current = session.scalar(select(func.max(PolicyVersion.version)).where(PolicyVersion.policy_id == policy_id))
    return (current or 0) + 1


def _set_live(row: Policy, data: Dict[str, Any], version: int, actor: str) -> None:
    region = data.get("region") or {}
    row.name = data["name"]
    row.family = data["family"]
    row.status = data["status"]
    row.region_scope = region.get("scope", "national")
    row.province, row.city, row.district = region.get("province"), region.get("city"), region.get("district")
    row.effective_from = loader._as_date(data.get("effective_from"))
    row.effective_to = loader._as_date(data.get("effective_to"))
    row.continuation_unconfirmed = bool(data.get("continuation_unconfirmed"))
    row.version = version
    row.data = data
    row.updated_at = utcnow()
    row.updated_by = actor


def _make_live(session: Session, data: Dict[str, Any], version: int, actor: str) -> Policy:
    row = session.get(Policy, data["id"]) or Policy(id=data["id"])
    _set_live(row, data, version, actor)
    session.add(row)
    for old in session.scalars(select(PolicyVersion).where(
            PolicyVersion.policy_id == data["id"], PolicyVersion.state == "published",
            PolicyVersion.version != version)):
        old.state = "superseded"
    _bump(session)
    return row


# ---- import / export / diff ----------------------------------------------------------------

def import_docs(*, session: Session, docs: List[SourceDoc], actor: str, why: str = "",
                parse_errors: Optional[List[KbError]] = None) -> Dict[str, List[str]]:
    """Validate then import all docs; any error anywhere imports nothing (raises KbValidationError)."""
    live = {row.id: row for row in session.scalars(select(Policy))}
    errors = list(parse_errors or []) + loader.validate_docs(docs, known_ids=set(live))
    if errors:
        raise KbValidationError(errors)
    latest = dict(session.execute(select(PolicyVersion.policy_id, func.max(PolicyVersion.version))
                                  .group_by(PolicyVersion.policy_id)).all())
    report: Dict[str, List[str]] = {"created": [], "updated": [], "unchanged": []}
    now = utcnow()
    for doc in docs:
        data = loader.normalize(doc.data)
        row = live.get(data["id"])
        if row is not None and row.data == data:
            report["unchanged"].append(data["id"])
            continue
        version = latest.get(data["id"], 0) + 1
        if row is not None:
            session.query(PolicyVersion).filter(PolicyVersion.policy_id == data["id"],
                                                PolicyVersion.state == "published").update({"state": "superseded"})
        session.add(PolicyVersion(policy_id=data["id"], version=version, state="published", data=data,
                                  created_at=now, created_by=actor, note=why or "导入"))
        report["updated" if row is not None else "created"].append(data["id"])
        if row is None:
            row = Policy(id=data["id"])
            session.add(row)
        _set_live(row, data, version, actor)
        _audit(session, actor, "import", data["id"], version, why, {"file": doc.path})
    if report["created"] or report["updated"]:
        _bump(session)  # one knowledge-base version per import
    return report


def import_files(*, session: Session, paths: List[Path], actor: str, why: str = "") -> Dict[str, List[str]]:
    docs, parse_errors = loader.read_files(paths)
    return import_docs(session=session, docs=docs, actor=actor, why=why, parse_errors=parse_errors)


def export(*, session: Session, dest: Path, statuses: Tuple[str, ...] = ("published",)) -> List[Path]:
    """Write each live policy to dest/<family>/<id>.yml, the same layout as the repo."""
    written = []
    for row in session.scalars(select(Policy).where(Policy.status.in_(statuses)).order_by(Policy.id)):
        path = Path(dest) / row.family / f"{row.id}.yml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(loader.dump_yaml(row.data), encoding="utf-8")
        written.append(path)
    return written


def diff(*, session: Session, root: Path = loader.POLICY_DIR) -> Dict[str, Any]:
    """Files vs database: what import would change, and what the database has that files lack."""
    docs, errors = loader.read_files(loader.policy_files(root))
    files = {d.data.get("id"): loader.normalize(d.data) for d in docs}
    live = {row.id: row.data for row in session.scalars(select(Policy))}
    changed = {}
    for pid in sorted(set(files) & set(live)):
        keys = sorted(k for k in set(files[pid]) | set(live[pid]) if files[pid].get(k) != live[pid].get(k))
        if keys:
            changed[pid] = keys
    return {
        "only_in_files": sorted(set(files) - set(live)),
        "only_in_db": sorted(set(live) - set(files)),
        "changed": changed,
        "errors": [str(e) for e in errors],
        "in_sync": not (set(files) ^ set(live)) and not changed and not errors,
    }


# ---- drafts, review, publish, rollback -----------------------------------------------------

def get_version(*, session: Session, policy_id: str, version: int) -> PolicyVersion:
    row = session.scalar(select(PolicyVersion).where(PolicyVersion.policy_id == policy_id,
                                                     PolicyVersion.version == version))
    if row is None:
        raise KbStateError(f"政策 {policy_id} 没有第 {version} 版")
    return row


def versions(*, session: Session, policy_id: str) -> List[PolicyVersion]:
    return list(session.scalars(select(PolicyVersion).where(PolicyVersion.policy_id == policy_id)
                                .order_by(PolicyVersion.version.desc())))


def save_draft(*, session: Session, data: Dict[str, Any], actor: str, why: str = "") -> PolicyVersion:
    """Store an edited document as a new draft version; the live policy is untouched."""
    doc = SourceDoc("（编辑器）", data, {})
    existing = set(session.scalars(select(Policy.id)))
    errors = loader.validate_doc(doc, check_location=False) + loader.validate_refs([doc], known_ids=existing)
    if errors:
        raise KbValidationError(errors)
    data = loader.normalize(data)
    version = _next_version(session, data["id"])
    row = PolicyVersion(policy_id=data["id"], version=version, state="draft", data=data,
                        created_at=utcnow(), created_by=actor, note=why)
    session.add(row)
    _audit(session, actor, "save_draft", data["id"], version, why)
    return row


def submit(*, session: Session, policy_id: str, version: int, actor: str, why: str = "") -> PolicyVersion:
    row = get_version(session=session, policy_id=policy_id, version=version)
    if row.state != "draft":
        raise KbStateError(f"第 {version} 版当前状态为 {row.state}，只有草稿可以提交审核")
    row.state = "in_review"
    _audit(session, actor, "submit", policy_id, version, why)
    return row


def publish(*, session: Session, policy_id: str, version: int, actor: str, why: str = "",
            require_review: bool = False) -> Policy:
    """Make a version live. With require_review, the publisher must not be its author."""
    row = get_version(session=session, policy_id=policy_id, version=version)
    if require_review:
        if row.state != "in_review":
            raise KbStateError("只有“待审核”的版本可以发布")
        if row.created_by == actor:
            raise KbStateError("不能审核发布自己提交的修改，请另一位管理员审核")
    row.state = "published"
    row.reviewed_by = actor if require_review else row.reviewed_by
    live = _make_live(session, row.data, version, actor)
    _audit(session, actor, "publish", policy_id, version, why)
    return live


def reject(*, session: Session, policy_id: str, version: int, actor: str, why: str) -> PolicyVersion:
    row = get_version(session=session, policy_id=policy_id, version=version)
    if row.state != "in_review":
        raise KbStateError("只有“待审核”的版本可以退回")
    row.state = "rejected"
    _audit(session, actor, "reject", policy_id, version, why)
    return row


def rollback(*, session: Session, policy_id: str, actor: str, why: str = "",
             to_version: Optional[int] = None) -> Policy:
    """Put an earlier version back live (default: the one before the live one)."""
    live = session.get(Policy, policy_id)
    if live is None:
        raise KbStateError(f"没有政策 {policy_id}")
    if to_version is None:
        earlier = [v for v in versions(session=session, policy_id=policy_id)
                   if v.version < live.version and v.state in ("published", "superseded")]
        if not earlier:
            raise KbStateError(f"政策 {policy_id} 没有更早的已发布版本可回滚")
        to_version = earlier[0].version
    target = get_version(session=session, policy_id=policy_id, version=to_version)
    if target.state not in ("published", "superseded"):
        raise KbStateError(f"第 {to_version} 版从未发布过，不能回滚到它")
    from_version = live.version
    target.state = "published"
    row = _make_live(session, target.data, to_version, actor)
    _audit(session, actor, "rollback", policy_id, to_version, why, {"from_version": from_version})
    return row


def audit_log(*, session: Session, policy_id: Optional[str] = None, limit: int = 200) -> List[AuditLog]:
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if policy_id:
        query = query.where(AuditLog.policy_id == policy_id)
    return list(session.scalars(query))
