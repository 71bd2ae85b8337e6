"""Console accounts and sessions, without HTTP: passwords (argon2), users, log-in with lock-out
(bot.web.lockout), and browser sessions stored as the SHA-256 of their cookie token.

Functions are synchronous and take the SQLAlchemy session as a keyword argument: the CLI
(`python -m bot users`) calls them directly, request handlers through auth.run_db.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import List, Optional, Tuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.settings import Settings
from bot.web.lockout import lock_status, record_failure
from bot.web.models import LoginAttempt, User, WebSession
from policies_kb.models import utcnow

logger = logging.getLogger(__name__)

ROLES = {"staff": 1, "admin": 2}  # a higher rank may do everything a lower one may
ROLE_NAMES = {"staff": "坐席", "admin": "管理员"}
MIN_PASSWORD_LENGTH = 8
USERNAME_MAX = 80


class AuthError(ValueError):
    """A refused login; `message` is shown to the operator as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class LockedOut(AuthError):
    def __init__(self, until: dt.datetime):
        minutes = max(1, int((until - utcnow()).total_seconds() + 59) // 60)
        super().__init__(f"登录失败次数过多，账号已暂时锁定，请 {minutes} 分钟后再试；"
                         "如需立即解锁，请联系管理员。")
        self.until = until


class UserError(ValueError):
    """Bad input to an account operation (duplicate name, short password, unknown role...)."""


@dataclass(frozen=True)
class CurrentUser:
    """The logged-in operator, as handlers see it (request.ctx.user)."""
    id: int
    username: str
    role: str
    expires_at: Optional[dt.datetime] = None  # the session's end (UTC): pages warn before it

    @property
    def expires_epoch(self) -> int:
        return int(self.expires_at.replace(tzinfo=dt.timezone.utc).timestamp()) if self.expires_at else 0

    def has_role(self, role: str) -> bool:
        return ROLES.get(self.role, 0) >= ROLES[role]

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.role, self.role)


# ---- passwords -----------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verified against for unknown usernames, so a wrong name costs as long as a wrong password.
    return _hasher().hash(secrets.token_urlsafe(16))


def _check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"密码至少 {MIN_PASSWORD_LENGTH} 位")
    if password.strip() != password:
        raise UserError("密码首尾不能有空格")


def _clean_username(username: str) -> str:
    name = (username or "").strip()
    if not name or len(name) > USERNAME_MAX or any(c.isspace() for c in name):
        raise UserError(f"用户名应为 1–{USERNAME_MAX} 个字符，不含空格")
    return name


# ---- accounts ------------------------------------------------------------------------------

def get_user(*, session: Session, username: str) -> Optional[User]:
    return session.scalar(select(User).where(User.username == username.strip()))


def create_user(*, session: Session, username: str, password: str, role: str) -> User:
    name = _clean_username(username)
    if role not in ROLES:
        raise UserError(f"角色应为 {' 或 '.join(ROLES)}")
    _check_password(password)
    if get_user(session=session, username=name) is not None:
        raise UserError(f"用户 {name} 已存在")
    user = User(username=name, password_hash=_hasher().hash(password), role=role, active=True,
                created_at=utcnow())
    session.add(user)
    session.flush()
    return user


def _require_user(session: Session, username: str) -> User:
    user = get_user(session=session, username=username)
    if user is None:
        raise UserError(f"没有用户 {username}")
    return user


def set_password(*, session: Session, username: str, password: str) -> User:
    """New password; every open session of the user ends."""
    user = _require_user(session, username)
    _check_password(password)
    user.password_hash = _hasher().hash(password)
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return user


def set_active(*, session: Session, username: str, active: bool) -> User:
    user = _require_user(session, username)
    user.active = active
    if not active:
        session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return user


def list_users(*, session: Session) -> List[User]:
    return list(session.scalars(select(User).order_by(User.username)))


# ---- login and lock-out --------------------------------------------------------------------

def authenticate(*, session: Session, username: str, password: str, ip: str = "") -> User:
    """The active user with this name and password, or AuthError / LockedOut (Chinese message).

    Failures are recorded even though the caller's transaction rolls back. While locked, the
    password is not checked and the try is not counted, so the lock ends LOCK_DURATION after
    the failure that caused it.
    """
    name = (username or "").strip()[:USERNAME_MAX]
    if not name or not password:
        raise AuthError("请输入用户名和密码。")
    until = lock_status(session=session, username=name, ip=ip)
    if until:
        logger.warning("console login refused (locked): user=%r ip=%s", name, ip)
        raise LockedOut(until)
    user = get_user(session=session, username=name)
    try:
        ok = _hasher().verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        ok = False
    if not (ok and user is not None and user.active):
        logger.info("console login failed: user=%r ip=%s", name, ip)
        until = record_failure(session, name, ip)
        if until:
            raise LockedOut(until)
        raise AuthError("用户名或密码不正确（或账号已停用）。")
    session.add(LoginAttempt(at=utcnow(), username=name, ip=ip or "", success=True))
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = _hasher().hash(password)
    user.last_login_at = utcnow()
    return user


# ---- sessions ------------------------------------------------------------------------------

def session_lifetime() -> dt.timedelta:
    return dt.timedelta(hours=Settings.from_env().console_session_hours)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(*, session: Session, user: User, ip: str = "", user_agent: str = "") -> str:
    """A new session for `user`; returns the cookie token (only its hash is stored)."""
    now = utcnow()
    session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    session.add(WebSession(id=_digest(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                           created_at=now, expires_at=now + session_lifetime(), ip=ip or "",
                           user_agent=(user_agent or "")[:255]))
    return token


def load_session(*, session: Session, token: str) -> Optional[Tuple[CurrentUser, str]]:
    """(user, csrf token) for a live session of an active user, else None."""
    row = session.execute(
        select(User.id, User.username, User.role, WebSession.csrf_token, WebSession.expires_at)
        .join(WebSession, WebSession.user_id == User.id)
        .where(WebSession.id == _digest(token), WebSession.expires_at > utcnow(), User.active.is_(True))
    ).first()
    if row is None:
        return None
    return CurrentUser(row.id, row.username, row.role, row.expires_at), row.csrf_token


def end_session(*, session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.id == _digest(token)))
