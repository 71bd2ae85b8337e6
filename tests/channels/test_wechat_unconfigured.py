"""Without WECHAT_TOKEN the server still starts and the other channels work;
only the WeChat webhook refuses, with 503 and a clear log line."""
import time

import pytest
import requests

from tests.channels.conftest import server_log, start_rasa
from tests.channels.wechat_side import nonce, sign, text_xml

pytestmark = pytest.mark.integration  # boots real Rasa servers


@pytest.fixture(scope="module")
def unconfigured(wechat_fixture_model):
    env = {k: "" for k in ("WECHAT_TOKEN", "WECHAT_APPID", "WECHAT_SECRET", "WECHAT_AES_KEY")}
    server = start_rasa(wechat_fixture_model, env)
    yield server
    server.stop()


def test_webhook_answers_503(unconfigured):
    url = f"{unconfigured.url}/webhooks/wechat/webhook"
    ts, n = str(int(time.time())), nonce()
    params = {"signature": sign("", ts, n), "timestamp": ts, "nonce": n}  # "no token" is no secret
    assert requests.get(url, params=dict(params, echostr="1"), timeout=5).status_code == 503
    assert requests.post(url, params=params, data=text_xml("ou", "你好").encode(), timeout=5).status_code == 503
    assert "WECHAT_TOKEN is not set" in server_log(unconfigured)
    health = requests.get(f"{unconfigured.url}/webhooks/wechat/", timeout=5).json()
    assert health["configured"] is False


def test_rest_channel_still_works(unconfigured):
    resp = requests.post(
        f"{unconfigured.url}/webhooks/rest/webhook", json={"sender": "u1", "message": "你好"}, timeout=10
    )
    assert resp.status_code == 200
    assert resp.json() and "政策通" in resp.json()[0]["text"]
