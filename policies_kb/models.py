"""SQLAlchemy models (1.4, 2.0 style). The schema itself is owned by Alembic migrations.

`policies` holds the live (published or retired) document of each policy, with the columns
the consoles filter on; `policy_versions` keeps every version ever saved (drafts included);
`audit_log` records who changed what, when and why; `kb_meta` carries the knowledge-base
version that caches compare against.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import declarative_base

Base = declarative_base()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Policy(Base):
    __tablename__ = "policies"

    id = Column(String(80), primary_key=True)
    name = Column(String(200), nullable=False)
    family = Column(String(40), nullable=False, index=True)
    status = Column(String(20), nullable=False, index=True)  # draft | published | retired
    region_scope = Column(String(20), nullable=False, default="national")
    province = Column(String(40))
    city = Column(String(40))
    district = Column(String(40))
    effective_from = Column(Date)
    effective_to = Column(Date)
    continuation_unconfirmed = Column(Boolean, nullable=False, default=False)
    version = Column(Integer, nullable=False)  # the version now live
    data = Column(JSON, nullable=False)  # the full policy document of that version
    updated_at = Column(DateTime, nullable=False, default=utcnow)
    updated_by = Column(String(80), nullable=False)


class PolicyVersion(Base):
    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("policy_id", "version"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    policy_id = Column(String(80), nullable=False, index=True)
    version = Column(Integer, nullable=False)
    state = Column(String(20), nullable=False)  # draft | in_review | published | superseded | rejected
    data = Column(JSON, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    created_by = Column(String(80), nullable=False)
    note = Column(Text, nullable=False, default="")
    reviewed_by = Column(String(80))


class AuditLog(Base):
    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True, autoincrement=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    actor = Column(String(80), nullable=False)
    action = Column(String(40), nullable=False)  # import | save_draft | submit | publish | rollback | retire | reject
    policy_id = Column(String(80), index=True)
    version = Column(Integer)
    why = Column(Text, nullable=False, default="")
    detail = Column(JSON)


class KbMeta(Base):
    __tablename__ = "kb_meta"

    id = Column(Integer, primary_key=True)
    version = Column(Integer, nullable=False, default=0)  # bumped on every change to live policies
    updated_at = Column(DateTime, nullable=False, default=utcnow)
