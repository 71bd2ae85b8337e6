"""Short-lived state of the WeChat channel: retry de-duplication and per-user
state (last numbered options, unread "更多" parts).

`memory` is enough for one Rasa process. With several processes behind a load
balancer a WeChat retry may land on another process, so production uses
`redis`: the first process to SET NX the message's key runs the bot, others
wait for the answer it stores.
"""
import json
import logging
import time
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
    """Redis with a safety net: when Redis is unreachable the channel keeps
    answering, de-duplicating within this process only (logged loudly),
    rather than failing every message of every user."""

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

    async def get_json(self, key: str) -> Any:
        return await self._call("get_json", key)

    async def set_json(self, key: str, value: Any, ttl: float) -> None:
        await self._call("set_json", key, value, ttl)

    async def delete(self, key: str) -> None:
        await self._call("delete", key)

    async def close(self) -> None:
        await self.primary.close()


def make_store(kind: str, redis_url: str) -> Any:
    if kind == "redis":
        return FallbackStore(RedisStore(redis_url))
    if kind != "memory":
        logger.error("wechat: unknown WECHAT_DEDUP_STORE=%r, using memory", kind)
    return MemoryStore()
