"""bot.rasa.lock_store: one message per conversation at a time, in arrival order, as Rasa's own."""
from __future__ import annotations

import asyncio
import uuid

import pytest
from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import EndpointConfig

from bot.rasa.lock_store import ConversationLockStore, RedisConversationLockStore


@pytest.fixture(params=["in_memory", "redis"])
def lock_store(request):
    if request.param == "in_memory":
        return LockStore.create(EndpointConfig(type="bot.rasa.lock_store.ConversationLockStore"))
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=1).ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis not reachable on 127.0.0.1:6379: {exc}")
    return LockStore.create(EndpointConfig(url="127.0.0.1", type="bot.rasa.lock_store.RedisConversationLockStore",
                                           port=6379, db=3, key_prefix=uuid.uuid4().hex[:8]))


def test_messages_of_one_conversation_take_turns_in_arrival_order(lock_store):
    assert isinstance(lock_store, (ConversationLockStore, RedisConversationLockStore))
    log = []

    async def message(name: str, conversation: str) -> None:
        async with lock_store.lock(conversation):
            log.append(f"{name}+")
            await asyncio.sleep(0.05)
            log.append(f"{name}-")

    async def main() -> None:
        tasks = []
        for name in ("a", "b", "c"):
            tasks.append(asyncio.create_task(message(name, "owner-1")))
            await asyncio.sleep(0.005)  # arrive in this order
        tasks.append(asyncio.create_task(message("x", "owner-2")))  # another owner never waits
        await asyncio.gather(*tasks)

    asyncio.run(main())
    mine = [entry for entry in log if not entry.startswith("x")]
    assert mine == ["a+", "a-", "b+", "b-", "c+", "c-"]
    assert log.index("x+") < log.index("a-")
