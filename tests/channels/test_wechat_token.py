"""One access_token per official account: the channel and the hotline's handoff replies share one
client per process, and processes sharing a Redis state store share the token too."""
from __future__ import annotations

import pytest

from bot.channels.wechat_client import WeChatClient, shared_client, token_storage
from tests.channels.conftest import redis_reachable


@pytest.fixture
def api(wechat_api):
    wechat_api.reset()
    yield wechat_api
    wechat_api.reset()


def _env(api, **extra):
    return {"WECHAT_APPID": api.appid, "WECHAT_SECRET": api.secret, "WECHAT_API_BASE": api.url, **extra}


def test_one_client_per_process_for_the_same_account(api):
    env = _env(api, WECHAT_DEDUP_STORE="memory")
    channel_side, hotline_side = shared_client(dict(env)), shared_client(dict(env))
    assert channel_side is hotline_side
    channel_side.send_text_sync("o_owner_1", "您好")
    hotline_side.send_text_sync("o_owner_1", "工作人员回复：已收到")
    assert len(api.calls_of("token")) == 1
    assert len({c["query"]["access_token"] for c in api.calls_of("send")}) == 1


def test_no_client_without_appid_or_secret(api):
    assert shared_client({"WECHAT_APPID": api.appid}) is None
    assert shared_client({}) is None


@pytest.mark.skipif(not redis_reachable(), reason="needs Redis on 127.0.0.1:6379 (.ci/run starts it)")
def test_two_processes_with_redis_fetch_the_token_once(api):
    # Two clients stand for two server processes: the token lives in Redis, not in either.
    env = _env(api, WECHAT_DEDUP_STORE="redis")
    first = WeChatClient(api.appid, api.secret, api.url, storage=token_storage(env))
    second = WeChatClient(api.appid, api.secret, api.url, storage=token_storage(env))
    first.storage.delete(first.token_key)
    try:
        first.send_text_sync("o_owner_2", "第一台")
        second.send_text_sync("o_owner_2", "第二台")
        assert len(api.calls_of("token")) == 1
        api.expire_tokens()  # WeChat rejects the shared token: one of them fetches, both use it
        second.send_text_sync("o_owner_2", "过期后")
        first.send_text_sync("o_owner_2", "再发一次")
        assert len(api.calls_of("token")) == 2
    finally:
        first.storage.delete(first.token_key)
