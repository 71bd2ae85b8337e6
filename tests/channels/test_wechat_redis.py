"""WECHAT_DEDUP_STORE=redis: two Rasa processes share the local Redis, as
behind a load balancer, and WeChat's retries of one message may hit either.
Skipped when no Redis answers on 127.0.0.1:6379."""
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests

from tests.channels.conftest import redis_reachable, side, start_rasa, user_turns, wechat_env
from tests.channels.wechat_side import new_openid, next_msg_id, text_xml

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not redis_reachable(), reason="no Redis on 127.0.0.1:6379"),
]

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def two_servers(wechat_fixture_model, wechat_api):
    env = wechat_env(wechat_api.url, WECHAT_DEDUP_STORE="redis", REDIS_URL=REDIS_URL)
    first = start_rasa(wechat_fixture_model, env)
    try:
        second = start_rasa(wechat_fixture_model, env)
    except Exception:
        first.stop()
        raise
    yield first, second
    first.stop()
    second.stop()


def test_health_reports_redis(two_servers):
    assert requests.get(f"{two_servers[0].url}/webhooks/wechat/", timeout=5).json()["dedup_store"] == "redis"


def test_retries_across_processes_run_bot_once(two_servers):
    a, b = two_servers
    user = new_openid()
    xml = text_xml(user, "你好", next_msg_id())
    targets = [a, b, a, b]
    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(lambda server: side(server, "safe").post(xml), targets))
    replies = [side(a, "safe").reply_of(r) for r in responses]
    contents = {r["Content"] for r in replies if r is not None}
    assert len(contents) == 1  # whoever answers, it's the same answer
    # a late retry on either process gets that same answer from Redis
    assert side(b, "safe").reply_of(side(b, "safe").post(xml))["Content"] in contents
    assert side(a, "safe").reply_of(side(a, "safe").post(xml))["Content"] in contents
    assert user_turns(a, user) + user_turns(b, user) == 1


def test_claim_and_answer_live_in_redis_with_ttl(two_servers):
    a, _ = two_servers
    user = new_openid()
    msg_id = next_msg_id()
    side(a, "safe").say(user, "你好", msg_id)
    r = redis.Redis.from_url(REDIS_URL)
    claim_ttl = r.pttl(f"zct:wechat:claim:{user}:{msg_id}")
    result_ttl = r.pttl(f"zct:wechat:result:{user}:{msg_id}")
    assert 0 < claim_ttl <= 420_000 and 0 < result_ttl <= 420_000


def test_numbered_options_shared_between_processes(two_servers):
    a, b = two_servers
    user = new_openid()
    assert "1. 创业担保贷款" in side(a, "safe").say(user, "选项")["Content"]
    assert "人工" in side(b, "safe").say(user, "2")["Content"]  # chosen on the other process
