"""The sqlite state store on a real file: two store objects on one file act
like two processes on one host; a new object after close() is a restart."""
import asyncio
import time

import pytest

from bot.channels.wechat_store import MemoryStore, SqliteStore, make_store


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "var" / "wechat_state.sqlite3")  # the directory is created on first use


def test_claim_is_won_once_across_processes(path):
    async def scenario():
        a, b = SqliteStore(path), SqliteStore(path)
        results = await asyncio.gather(*[s.claim("ou:1", 60) for s in (a, b, a, b)])
        await a.close()
        await b.close()
        return results

    assert sorted(run(scenario())) == [False, False, False, True]


def test_state_survives_a_restart(path):
    async def before():
        store = SqliteStore(path)
        await store.claim("ou:1", 60)
        await store.set_json("result:ou:1", {"reply": "您好"}, 60)
        assert await store.remember("url:1:2", "digest-a", 60) is None
        await store.close()

    async def after():
        store = SqliteStore(path)
        try:
            return (
                await store.claim("ou:1", 60),
                await store.get_json("result:ou:1"),
                await store.remember("url:1:2", "digest-b", 60),
            )
        finally:
            await store.close()

    run(before())
    assert run(after()) == (False, {"reply": "您好"}, "digest-a")


def test_expired_rows_can_be_claimed_again(path):
    async def scenario():
        store = SqliteStore(path)
        first = await store.claim("ou:2", 0.05)
        time.sleep(0.1)
        again = await store.claim("ou:2", 60)
        gone = await store.get_json("never-set")
        await store.close()
        return first, again, gone

    assert run(scenario()) == (True, True, None)


def test_memory_remember_keeps_the_first_value():
    async def scenario():
        store = MemoryStore()
        return await store.remember("k", "a", 60), await store.remember("k", "b", 60)

    assert run(scenario()) == (None, "a")


@pytest.mark.parametrize(
    "kind, production, name",
    [("sqlite", False, "sqlite"), ("memory", False, "memory"), ("memory", True, "sqlite"),
     ("no-such-store", False, "sqlite"), ("redis", True, "redis")],
)
def test_store_choice(kind, production, name, path):
    store = make_store(kind, redis_url="redis://127.0.0.1:6379/0", state_db=path, production=production)
    assert store.name == name


def test_unusable_state_file_falls_back_to_this_process(tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    store = make_store("sqlite", redis_url="", state_db=str(blocker / "state.sqlite3"))

    async def scenario():
        return await store.claim("ou:3", 60), await store.claim("ou:3", 60), await store.remember("u", "a", 60)

    assert run(scenario()) == (True, False, None)  # still de-duplicates, in memory
    assert "sqlite store unavailable" in caplog.text
