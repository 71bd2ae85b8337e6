"""Console login throttling: when a username is locked, and when an address is slowed down.

Rows of `login_attempts` (every try, with username, address and outcome) are the only state,
so every server process sees the same locks. The rules are in the comment below and in
docs/console.md.
"""
from __future__ import annotations

import datetime as dt
from typing import List, Optional

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.web.models import LoginAttempt
from policies_kb.models import utcnow

# Lock-out (docs/console.md). A whole call centre sits behind one NAT address, so an address
# is never locked: one noisy client must not lock out the office.
# - account at one address: MAX_FAILURES_PER_USER failures within LOCK_WINDOW lock that pair
#   for LOCK_DURATION;
# - account from any address (guessing spread over addresses): from MAX_FAILURES_PER_ACCOUNT
#   failures on, a short lock that doubles with every further failure, at most LOCK_DURATION;
# - address: from MAX_FAILURES_PER_IP failures on, every try from it waits SLOW_DOWN first.
LOCK_WINDOW = dt.timedelta(minutes=15)
LOCK_DURATION = dt.timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ACCOUNT = 10
BACKOFF_START = dt.timedelta(minutes=1)
MAX_FAILURES_PER_IP = 100
SLOW_DOWN = 2.0  # seconds


def unlock(*, session: Session, username: str) -> int:
    """Forget the recent failures of `username` (an admin's answer to a locked-out operator)."""
    since = utcnow() - LOCK_WINDOW - LOCK_DURATION
    result = session.execute(delete(LoginAttempt).where(
        LoginAttempt.username == username.strip(), LoginAttempt.success.is_(False), LoginAttempt.at >= since))
    return result.rowcount or 0


def _locked_until(times: List[dt.datetime], limit: int, now: dt.datetime) -> Optional[dt.datetime]:
    """Failures lock when `limit` of them fall within LOCK_WINDOW; the lock lasts LOCK_DURATION
    from the failure that reached the limit."""
    times = sorted(times)
    until = None
    for i in range(limit - 1, len(times)):
        if times[i] - times[i - limit + 1] <= LOCK_WINDOW:
            until = max(until or times[i], times[i] + LOCK_DURATION)
    return until if until and until > now else None


def _backoff_until(times: List[dt.datetime], limit: int, now: dt.datetime) -> Optional[dt.datetime]:
    """From the `limit`-th failure within LOCK_WINDOW on, locked from the latest failure for
    BACKOFF_START, doubled per further failure, at most LOCK_DURATION."""
    times = sorted(t for t in times if t > now - LOCK_WINDOW)
    if len(times) < limit:
        return None
    lock = min(BACKOFF_START * 2 ** min(len(times) - limit, 16), LOCK_DURATION)
    until = times[-1] + lock
    return until if until > now else None


def lock_status(*, session: Session, username: str, ip: str = "",
                now: Optional[dt.datetime] = None) -> Optional[dt.datetime]:
    """When the username is locked for this address (or everywhere), the time the lock ends;
    else None. Failures before the account's last successful login do not count."""
    now = now or utcnow()
    since = now - LOCK_WINDOW - LOCK_DURATION
    last_ok = session.scalar(select(func.max(LoginAttempt.at)).where(
        LoginAttempt.username == username, LoginAttempt.success.is_(True)))
    user_since = max(since, last_ok) if last_ok else since
    fails = session.execute(select(LoginAttempt.at, LoginAttempt.ip).where(
        LoginAttempt.username == username, LoginAttempt.success.is_(False), LoginAttempt.at > user_since)).all()
    locks = [_locked_until([at for at, where in fails if where == (ip or "")], MAX_FAILURES_PER_USER, now),
             _backoff_until([at for at, _ in fails], MAX_FAILURES_PER_ACCOUNT, now)]
    locks = [lock for lock in locks if lock]
    return max(locks) if locks else None


def address_delay(*, session: Session, ip: str, now: Optional[dt.datetime] = None) -> float:
    """Seconds a login from `ip` waits before it is checked (slowed, never locked)."""
    if not ip:
        return 0.0
    now = now or utcnow()
    count = session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.ip == ip, LoginAttempt.success.is_(False), LoginAttempt.at > now - LOCK_WINDOW))
    return SLOW_DOWN if count >= MAX_FAILURES_PER_IP else 0.0


def record_failure(session: Session, username: str, ip: str) -> Optional[dt.datetime]:
    """Store a failed try in its own transaction (the caller rolls back on AuthError) and
    return the lock it causes, if any."""
    with Session(bind=session.get_bind(), future=True) as own:
        own.add(LoginAttempt(at=utcnow(), username=username, ip=ip or "", success=False))
        own.commit()
        return lock_status(session=own, username=username, ip=ip)
