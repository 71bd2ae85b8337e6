"""Hotline records: 工单 (tickets), per-call drafts, handoff claims.

Revision ID: w0002
Revises: w0001
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "w0002"
down_revision = "w0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(32), unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False, index=True),
        sa.Column("operator", sa.String(80), nullable=False),
        sa.Column("call_id", sa.String(40), index=True),
        sa.Column("caller_name", sa.String(80), nullable=False),
        sa.Column("caller_phone", sa.String(20), nullable=False, index=True),
        sa.Column("category", sa.String(80), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("policies", sa.JSON, nullable=False),
        sa.Column("profile", sa.JSON, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("department", sa.String(200), nullable=False),
        sa.Column("follow_up_on", sa.Date),
        sa.Column("kb_version", sa.String(40), nullable=False),
    )
    op.create_table(
        "call_drafts",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("closed", sa.Boolean, nullable=False),
    )
    op.create_table(
        "handoff_claims",
        sa.Column("sender_id", sa.String(255), primary_key=True),
        sa.Column("operator", sa.String(80), nullable=False),
        sa.Column("claimed_at", sa.DateTime, nullable=False),
        sa.Column("notice_failed", sa.Text),  # the release notice WeChat refused, until retried
    )


def downgrade() -> None:
    for table in ("handoff_claims", "call_drafts", "tickets"):
        op.drop_table(table)
