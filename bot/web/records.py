"""Hotline records in the policies database (Alembic revision 0003): 工单, the per-call draft
that lets a call survive F5 and re-login, and who has claimed a handoff conversation."""
from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, Dict, Optional

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, ForeignKey, Integer, String, Text, delete, select
from sqlalchemy.orm import Session

from bot.web.models import WebBase
from policies_kb.models import utcnow


class Ticket(WebBase):
    """One 工单: what the caller asked, what was answered, which policies, what happens next."""
    __tablename__ = "tickets"

    id = Column(Integer, primary_key=True, autoincrement=True)
    number = Column(String(32), unique=True)  # 工单编号, from the local date and id
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    operator = Column(String(80), nullable=False)
    call_id = Column(String(40), index=True)
    caller_name = Column(String(80), nullable=False, default="")
    caller_phone = Column(String(20), nullable=False, default="", index=True)
    category = Column(String(80), nullable=False)
    question = Column(Text, nullable=False, default="")
    answer = Column(Text, nullable=False, default="")
    policies = Column(JSON, nullable=False, default=list)  # [{"id", "name", "doc_no", "status"}]
    profile = Column(JSON, nullable=False, default=dict)
    outcome = Column(String(20), nullable=False)  # 办结 | 转办
    department = Column(String(200), nullable=False, default="")
    follow_up_on = Column(Date)
    kb_version = Column(String(40), nullable=False, default="")


class CallDraft(WebBase):
    """The call page's state, saved on every change; closed when its 工单 is saved."""
    __tablename__ = "call_drafts"

    id = Column(String(40), primary_key=True)
    user_id = Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    state = Column(JSON, nullable=False, default=dict)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)
    closed = Column(Boolean, nullable=False, default=False)


class HandoffClaim(WebBase):
    """The operator answering a held conversation; after release, a notice WeChat refused."""
    __tablename__ = "handoff_claims"

    sender_id = Column(String(255), primary_key=True)
    operator = Column(String(80), nullable=False)
    claimed_at = Column(DateTime, nullable=False, default=utcnow)
    notice_failed = Column(Text)


# ---- call drafts -----------------------------------------------------------------------------

def new_draft(*, session: Session, user_id: int, state: Optional[Dict[str, Any]] = None) -> str:
    call_id = secrets.token_urlsafe(12)
    session.add(CallDraft(id=call_id, user_id=user_id, state=state or {}))
    return call_id


def open_draft(*, session: Session, user_id: int, call_id: str = "") -> Optional[CallDraft]:
    """The operator's draft `call_id`, or the newest open one; never someone else's."""
    query = select(CallDraft).where(CallDraft.user_id == user_id)
    if call_id:
        return session.execute(query.where(CallDraft.id == call_id)).scalar_one_or_none()
    return session.execute(query.where(CallDraft.closed.is_(False))
                           .order_by(CallDraft.updated_at.desc()).limit(1)).scalar_one_or_none()


def save_draft(*, session: Session, user_id: int, call_id: str, state: Dict[str, Any]) -> bool:
    draft = open_draft(session=session, user_id=user_id, call_id=call_id)
    if draft is None or draft.closed:
        return False
    draft.state, draft.updated_at = state, utcnow()
    return True


def close_draft(*, session: Session, user_id: int, call_id: str) -> None:
    draft = open_draft(session=session, user_id=user_id, call_id=call_id)
    if draft is not None:
        draft.closed, draft.updated_at = True, utcnow()


# ---- handoff claims ----------------------------------------------------------------------------

def claims(*, session: Session) -> Dict[str, HandoffClaim]:
    return {c.sender_id: c for c in session.execute(select(HandoffClaim)).scalars()}


def stale(row: HandoffClaim, held_since: Optional[dt.datetime]) -> bool:
    """A claim from before this handoff (the owner cancelled it themselves) or a kept notice."""
    return row.notice_failed is not None or bool(held_since and row.claimed_at < held_since)


def claim(*, session: Session, sender_id: str, operator: str,
          held_since: Optional[dt.datetime] = None) -> HandoffClaim:
    """Claim `sender_id` for `operator`, or return the claim someone else already holds."""
    row = session.get(HandoffClaim, sender_id)
    if row is None:
        row = HandoffClaim(sender_id=sender_id, operator=operator, claimed_at=utcnow())
        session.add(row)
        session.flush()  # the primary key makes a concurrent second claim fail here
    elif stale(row, held_since):  # held again since: a fresh claim
        row.operator, row.claimed_at, row.notice_failed = operator, utcnow(), None
    return row


def unclaim(*, session: Session, sender_id: str, operator: str, notice_failed: Optional[str] = None) -> None:
    """The conversation is no one's any more; a refused release notice is kept to be retried."""
    if notice_failed:
        row = session.get(HandoffClaim, sender_id)
        if row is None:
            session.add(HandoffClaim(sender_id=sender_id, operator=operator, claimed_at=utcnow(),
                                     notice_failed=notice_failed))
        else:
            row.operator, row.notice_failed = operator, notice_failed
        return
    session.execute(delete(HandoffClaim).where(HandoffClaim.sender_id == sender_id))
