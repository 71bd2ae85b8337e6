"""The consoles' own tables: accounts, browser sessions, login attempts.

Their schema has its own Alembic history (bot/web/migrations, version table
`zct_web_version`) beside the knowledge base's: the knowledge base knows nothing of consoles.
"""
from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import declarative_base

from policies_kb.models import utcnow

WebBase = declarative_base()


class User(WebBase):
    """A console account: hotline staff or admin. Passwords are argon2 hashes, never plain."""
    __tablename__ = "users"

    id = Column(Integer, primary_key=True, autoincrement=True)
    username = Column(String(80), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(20), nullable=False)  # staff | admin
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    last_login_at = Column(DateTime)


class WebSession(WebBase):
    """A logged-in browser. `id` is the SHA-256 of the cookie token, so a copy of this table
    cannot be replayed as cookies."""
    __tablename__ = "web_sessions"

    id = Column(String(64), primary_key=True)
    user_id = Column(Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False, index=True)
    ip = Column(String(64), nullable=False, default="")
    user_agent = Column(String(255), nullable=False, default="")


class LoginAttempt(WebBase):
    """Every login try, for the lock-out rule and for the record."""
    __tablename__ = "login_attempts"

    id = Column(Integer, primary_key=True, autoincrement=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    username = Column(String(80), nullable=False, index=True)
    ip = Column(String(64), nullable=False, default="", index=True)
    success = Column(Boolean, nullable=False)
