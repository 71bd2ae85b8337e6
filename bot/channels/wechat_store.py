"""Short-lived state of the WeChat channel: retry de-duplication, signed URLs
already used, and per-user state (last numbered options, unread "更多" parts).

`sqlite` (the default) is a file on local disk: it survives a restart, so a
retry arriving just after one still finds its answer, and processes on one
host share it. `memory` is for development only (lost on restart; refused
when ZCT_ENV=production). With processes on several hosts use `redis`: the
first process to SET NX the message's key runs the bot, others wait for the
answer it stores.
"""
import asyncio
import json
import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

logger = logging.getLogger(__name__)

PREFIX = "zct:wechat:"


class MemoryStore:
    name = "memory"

    def __init__(self) -> None:
        self._data: Dict[str, Tuple[float, Any]] = {}
        self._ops = 0

    def _sweep(self) -> None:
        # Amortised clean-up so idle keys don't pile up in a long-running process.
        self._ops += 1
        if self._ops % 500 == 0:
            now = time.monotonic()
            for key in [k for k, (exp, _) in self._data.items() if exp <= now]:
                self._data.pop(key, None)

    def _get(self, key: str) -> Any:
        item = self._data.get(key)
        if item is None or item[0] <= time.monotonic():
            self._data.pop(key, None)
            return None
        return item[1]

    async def claim(self, key: str, ttl: float) -> bool:
        self._sweep()
        if self._get("claim:" + key) is not None:
            return False
        self._data["claim:" + key] = (time.monotonic() + ttl, True)
        return True

    async def remember(self, key: str, value: Any, ttl: float) -> Any:
        """Store `value` unless `key` is there; return what was there (None if new)."""
        self._sweep()
        existing = self._get(key)
        if existing is None:
            self._data[key] = (time.monotonic() + ttl, value)
        return existing

    async def get_json(self, key: str) -> Any:
        return self._get(key)

    async def set_json(self, key: str, value: Any, ttl: float) -> None:
        self._sweep()
        self._data[key] = (time.monotonic() + ttl, value)

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def close(self) -> None:
        pass


class RedisStore:
    name = "redis"

    def __init__(self, url: str) -> None:
        self.url = url
        self._redis: Optional[Any] = None

    def _client(self) -> Any:
        # Created lazily: it must live on the event loop of the Sanic server,
        # which does not exist yet when Rasa builds the input channels.
        if self._redis is None:
            import redis.asyncio

            self._redis = redis.asyncio.Redis.from_url(
                self.url, socket_timeout=1.0, socket_connect_timeout=1.0
            )
        return self._redis

    async def claim(self, key: str, ttl: float) -> bool:
        return bool(await self._client().set(PREFIX + "claim:" + key, b"1", nx=True, px=int(ttl * 1000)))

    async def remember(self, key: str, value: Any, ttl: float) -> Any:
        data = json.dumps(value, ensure_ascii=False)
        if await self._client().set(PREFIX + key, data, nx=True, px=int(ttl * 1000)):
            return None
        # Never deleted before its TTL, so the value read now is the one that won.
        return await self.get_json(key)

    async def get_json(self, key: str) -> Any:
        raw = await self._client().get(PREFIX + key)
        return None if raw is None else json.loads(raw)

    async def set_json(self, key: str, value: Any, ttl: float) -> None:
        data = json.dumps(value, ensure_ascii=False)
        await self._client().set(PREFIX + key, data, px=int(ttl * 1000))

    async def delete(self, key: str) -> None:
        await self._client().delete(PREFIX + key)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.close()


class FallbackStore:
    """Redis or sqlite with a safety net: when the store fails (Redis
    unreachable, state file unwritable) the channel keeps answering,
    de-duplicating within this process only (logged loudly), rather than
    failing every message of every user."""

    def __init__(self, primary: Any) -> None:
        self.primary = primary
        self.local = MemoryStore()
        self.name = primary.name
        self._last_error = 0.0

    def _failed(self, exc: Exception) -> None:
        if time.monotonic() - self._last_error > 30:  # don't flood the log
            logger.error("wechat: %s store unavailable (%s); de-duplicating in this process only", self.name, exc)
        self._last_error = time.monotonic()

    async def _call(self, method: str, *args: Any) -> Any:
        try:
            return await getattr(self.primary, method)(*args)
        except Exception as exc:  # noqa: BLE001 - any Redis/network failure
            self._failed(exc)
            return await getattr(self.local, method)(*args)

    async def claim(self, key: str, ttl: float) -> bool:
        return bool(await self._call("claim", key, ttl))

    async def remember(self, key: str, value: Any, ttl: float) -> Any:
        return await self._call("remember", key, value, ttl)

    async def get_json(self, key: str) -> Any:
        return await self._call("get_json", key)

    async def set_json(self, key: str, value: Any, ttl: float) -> None:
        await self._call("set_json", key, value, ttl)

    async def delete(self, key: str) -> None:
        await self._call("delete", key)

    async def close(self) -> None:
        await self.primary.close()


class SqliteStore:
    """Key/value rows with an expiry (wall clock, so they outlive a restart).
    Calls run in a worker thread: a busy file lock must not stall the loop."""

    name = "sqlite"
    _SCHEMA = "CREATE TABLE IF NOT EXISTS wechat_state (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires REAL NOT NULL)"

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self._conn: Optional[sqlite3.Connection] = None
        self._lock = threading.Lock()
        self._ops = 0

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=2.0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")  # other processes read while one writes
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(self._SCHEMA)
            self._conn = conn
        return self._conn

    async def _run(self, fn: Any, *args: Any) -> Any:
        def call() -> Any:
            with self._lock:
                conn = self._connect()
                self._ops += 1
                if self._ops % 500 == 0:
                    conn.execute("DELETE FROM wechat_state WHERE expires <= ?", (time.time(),))
                return fn(conn, *args)

        return await asyncio.to_thread(call)

    @staticmethod
    def _add(conn: sqlite3.Connection, key: str, value: Any, ttl: float) -> Any:
        """Insert unless a live row exists (atomic across processes); the
        existing value, or None when this call stored it."""
        now = time.time()
        cur = conn.execute(
            "INSERT INTO wechat_state (key, value, expires) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires = excluded.expires "
            "WHERE wechat_state.expires <= ?",
            (key, json.dumps(value, ensure_ascii=False), now + ttl, now),
        )
        if cur.rowcount == 1:
            return None
        row = conn.execute("SELECT value FROM wechat_state WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    @staticmethod
    def _get(conn: sqlite3.Connection, key: str) -> Any:
        row = conn.execute(
            "SELECT value FROM wechat_state WHERE key = ? AND expires > ?", (key, time.time())
        ).fetchone()
        return None if row is None else json.loads(row[0])

    @staticmethod
    def _set(conn: sqlite3.Connection, key: str, value: Any, ttl: float) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO wechat_state (key, value, expires) VALUES (?, ?, ?)",
            (key, json.dumps(value, ensure_ascii=False), time.time() + ttl),
        )

    async def claim(self, key: str, ttl: float) -> bool:
        return await self._run(self._add, "claim:" + key, True, ttl) is None

    async def remember(self, key: str, value: Any, ttl: float) -> Any:
        return await self._run(self._add, key, value, ttl)

    async def get_json(self, key: str) -> Any:
        return await self._run(self._get, key)

    async def set_json(self, key: str, value: Any, ttl: float) -> None:
        await self._run(self._set, key, value, ttl)

    async def delete(self, key: str) -> None:
        await self._run(lambda conn, k: conn.execute("DELETE FROM wechat_state WHERE key = ?", (k,)), key)

    async def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def make_store(kind: str, *, redis_url: str, state_db: str, production: bool = False) -> Any:
    if kind == "redis":
        return FallbackStore(RedisStore(redis_url))
    if kind == "memory" and production:
        # Lost on restart and not shared: a retry after a deploy would run
        # the bot twice and a replayed URL would be accepted again.
        logger.error("wechat: WECHAT_DEDUP_STORE=memory is refused with ZCT_ENV=production; using sqlite at %s", state_db)
    elif kind == "memory":
        return MemoryStore()
    elif kind != "sqlite":
        logger.error("wechat: unknown WECHAT_DEDUP_STORE=%r, using sqlite at %s", kind, state_db)
    return FallbackStore(SqliteStore(state_db))
