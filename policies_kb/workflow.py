"""How content becomes live: the knowledge-base workflow, one home for the console and the CLI.

- **Deploy** (`make kb`, `python -m bot kb import`): the repository's files, reviewed in git,
  are live at once.
- **Admin paths** (the console's editor and its import): each change becomes a version waiting
  for review; a second admin publishes it (`publish` refuses the author) or rejects it.
- **Rollback**, the emergency exit, is immediate and audited: see `live_stack` for the rule.

Every function takes the session as a keyword argument and leaves committing to the caller's
`session_scope()`, so each command is one transaction: it all happens or nothing does.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from policies_kb import loader
from policies_kb.loader import KbError, SourceDoc
from policies_kb.models import AuditLog, KbMeta, Policy, PolicyVersion, utcnow

# Audit actions that change which version is live (the others only move drafts along).
LIVE_ACTIONS = ("import", "publish", "rollback")
WAS_LIVE = ("published", "superseded")


class KbValidationError(ValueError):
    def __init__(self, errors: List[KbError]):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


class KbStateError(ValueError):
    """An operation that does not fit the policy's current state (e.g. self-review)."""


# ---- knowledge-base version and the live row ------------------------------------------------

def kb_version(*, session: Session) -> Tuple[int, Optional[dt.datetime]]:
    meta = session.get(KbMeta, 1)
    return (meta.version, meta.updated_at) if meta else (0, None)


def _bump(session: Session) -> None:
    """Caches (the matcher) compare this number: any change to live content bumps it."""
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


def _latest_versions(session: Session) -> Dict[str, int]:
    return dict(session.execute(select(PolicyVersion.policy_id, func.max(PolicyVersion.version))
                                .group_by(PolicyVersion.policy_id)).all())


def _make_live(session: Session, data: Dict[str, Any], version: int, actor: str) -> Policy:
    """Copy a version into `policies` (the columns the consoles filter on) and mark the
    version that was live before as superseded."""
    row = session.get(Policy, data["id"]) or Policy(id=data["id"])
    region = data.get("region") or {}
    row.name, row.family, row.status = data["name"], data["family"], data["status"]
    row.region_scope = region.get("scope", "national")
    row.province, row.city, row.district = region.get("province"), region.get("city"), region.get("district")
    row.effective_from = loader._as_date(data.get("effective_from"))
    row.effective_to = loader._as_date(data.get("effective_to"))
    row.continuation_unconfirmed = bool(data.get("continuation_unconfirmed"))
    row.version, row.data, row.updated_at, row.updated_by = version, data, utcnow(), actor
    session.add(row)
    session.query(PolicyVersion).filter(PolicyVersion.policy_id == data["id"], PolicyVersion.state == "published",
                                        PolicyVersion.version != version).update({"state": "superseded"})
    return row


def get_version(*, session: Session, policy_id: str, version: int) -> PolicyVersion:
    row = session.scalar(select(PolicyVersion).where(PolicyVersion.policy_id == policy_id,
                                                     PolicyVersion.version == version))
    if row is None:
        raise KbStateError(f"政策 {policy_id} 没有第 {version} 版")
    return row


# ---- import: deploy (live at once) or proposal (waits for review) ---------------------------

def _import(session: Session, docs: List[SourceDoc], actor: str, why: str,
            parse_errors: Optional[List[KbError]], deploy: bool) -> Dict[str, List[str]]:
    """Validate all docs together (one error anywhere: KbValidationError, nothing changes),
    then add a version for each doc that differs from the live policy."""
    live = {row.id: row for row in session.scalars(select(Policy))}
    errors = list(parse_errors or []) + loader.validate_docs(docs, known_ids=set(live))
    if errors:
        raise KbValidationError(errors)
    latest = _latest_versions(session)
    report: Dict[str, List[str]] = {"created": [], "updated": [], "unchanged": []}
    for doc in docs:
        data = loader.normalize(doc.data)
        row = live.get(data["id"])
        if row is not None and row.data == data:
            report["unchanged"].append(data["id"])
            continue
        version = latest.get(data["id"], 0) + 1
        session.add(PolicyVersion(policy_id=data["id"], version=version, state="published" if deploy else "in_review",
                                  data=data, created_at=utcnow(), created_by=actor, note=why or "导入"))
        if deploy:
            _make_live(session, data, version, actor)
        _audit(session, actor, "import" if deploy else "propose_import", data["id"], version, why, {"file": doc.path})
        report["updated" if row is not None else "created"].append(data["id"])
    if deploy and (report["created"] or report["updated"]):
        _bump(session)  # one knowledge-base version per import
    return report


def deploy_docs(*, session: Session, docs: List[SourceDoc], actor: str, why: str = "",
                parse_errors: Optional[List[KbError]] = None) -> Dict[str, List[str]]:
    """The deploy path: the files are live at once (audited as `import`)."""
    return _import(session, docs, actor, why, parse_errors, deploy=True)


def propose_docs(*, session: Session, docs: List[SourceDoc], actor: str, why: str = "",
                 parse_errors: Optional[List[KbError]] = None) -> Dict[str, List[str]]:
    """An admin's import: every changed file becomes a version waiting for a second admin,
    exactly like a submitted edit (audited as `propose_import`). Nothing is live yet."""
    return _import(session, docs, actor, why, parse_errors, deploy=False)


def import_files(*, session: Session, paths: List[Path], actor: str, why: str = "") -> Dict[str, List[str]]:
    """Deploy files from disk (`kb import`, `make kb`)."""
    docs, parse_errors = loader.read_files(paths)
    return deploy_docs(session=session, docs=docs, actor=actor, why=why, parse_errors=parse_errors)


# ---- edit → review → publish / reject --------------------------------------------------------

def save_draft(*, session: Session, data: Dict[str, Any], actor: str, why: str = "") -> PolicyVersion:
    """Store an edited document as a new draft version; the live policy is untouched."""
    doc = SourceDoc("（编辑器）", data, {})
    existing = set(session.scalars(select(Policy.id)))
    errors = loader.validate_doc(doc, check_location=False) + loader.validate_refs([doc], known_ids=existing)
    if errors:
        raise KbValidationError(errors)
    data = loader.normalize(data)
    version = _latest_versions(session).get(data["id"], 0) + 1
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


def publish(*, session: Session, policy_id: str, version: int, actor: str, why: str = "") -> Policy:
    """A second admin approves a version waiting for review and makes it live."""
    row = get_version(session=session, policy_id=policy_id, version=version)
    if row.state in WAS_LIVE:
        raise KbStateError(f"第 {version} 版已发布过；要恢复它请用回滚（kb rollback --to {version}）")
    if row.state != "in_review":
        raise KbStateError("只有“待审核”的版本可以发布")
    if row.created_by == actor:
        raise KbStateError("不能审核发布自己提交的修改，请另一位管理员审核")
    row.state, row.reviewed_by = "published", actor
    live = _make_live(session, row.data, version, actor)
    _bump(session)
    _audit(session, actor, "publish", policy_id, version, why)
    return live


def reject(*, session: Session, policy_id: str, version: int, actor: str, why: str) -> PolicyVersion:
    row = get_version(session=session, policy_id=policy_id, version=version)
    if row.state != "in_review":
        raise KbStateError("只有“待审核”的版本可以退回")
    row.state = "rejected"
    _audit(session, actor, "reject", policy_id, version, why)
    return row


# ---- rollback -------------------------------------------------------------------------------

def live_stack(events: Iterable[Tuple[str, Optional[int]]]) -> List[int]:
    """The versions that were live, oldest first, from a policy's audit events (action,
    version) in order. THE rollback rule: every publish / import pushes the version it made
    live; a rollback to a version pops everything above it (or pushes it, if it was popped
    before). One-click rollback restores the entry below the top.

    So after publish v2, v3 → rollback (v2 live) → publish v4, rollback restores v2: a version
    that was rolled back away from (v3) never comes back by accident, and rolling back twice
    goes further back instead of undoing the first rollback."""
    stack: List[int] = []
    for action, version in events:
        if version is None or action not in LIVE_ACTIONS:
            continue
        if action == "rollback" and version in stack:
            del stack[stack.index(version) + 1:]
        else:
            stack.append(version)
    return stack


def rollback_target(*, session: Session, policy_id: str) -> Optional[int]:
    """The version one-click rollback restores (None: nothing earlier to go back to)."""
    live = session.get(Policy, policy_id)
    if live is None:
        return None
    events = session.execute(select(AuditLog.action, AuditLog.version)
                             .where(AuditLog.policy_id == policy_id, AuditLog.action.in_(LIVE_ACTIONS))
                             .order_by(AuditLog.id)).all()
    stack = live_stack(events)
    if not stack or stack[-1] != live.version:  # content older than its audit trail
        stack.append(live.version)
    return stack[-2] if len(stack) >= 2 else None


def rollback(*, session: Session, policy_id: str, actor: str, why: str = "",
             to_version: Optional[int] = None) -> Policy:
    """Put an earlier version back live at once (default: `rollback_target`). Needs no second
    admin — it is the emergency exit — but is audited and shown to the other admins."""
    live = session.get(Policy, policy_id)
    if live is None:
        raise KbStateError(f"没有政策 {policy_id}")
    if to_version is None:
        to_version = rollback_target(session=session, policy_id=policy_id)
        if to_version is None:
            raise KbStateError(f"政策 {policy_id} 没有更早的已发布版本可回滚")
    if to_version == live.version:
        raise KbStateError(f"第 {to_version} 版就是现行版本")
    target = get_version(session=session, policy_id=policy_id, version=to_version)
    if target.state not in WAS_LIVE:
        raise KbStateError(f"第 {to_version} 版从未发布过，不能回滚到它")
    from_version = live.version
    target.state = "published"
    row = _make_live(session, target.data, to_version, actor)
    _bump(session)
    _audit(session, actor, "rollback", policy_id, to_version, why, {"from_version": from_version})
    return row
