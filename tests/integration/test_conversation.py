"""Real multi-turn conversations over REST with the trained model and both servers."""
from __future__ import annotations

import uuid

import pytest
import requests

from bot.channels.rest import conversation_id

pytestmark = pytest.mark.integration


def say(server, sender, text):
    reply = requests.post(f"{server.url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
    reply.raise_for_status()
    return reply.json()


def joined(messages):
    return "\n".join(m.get("text") or "" for m in messages)


def slots(server, sender):
    return server.tracker(conversation_id(sender))["slots"]


def new_sender():
    return f"owner-{uuid.uuid4().hex[:8]}"


def test_everything_in_one_message_is_answered_at_once(bot_server):
    sender = new_sender()
    answer = joined(say(bot_server, sender, "我是退伍军人，开了个面馆，个体户，创业担保贷款能贷多少"))
    assert "30 万" in answer and "财金〔2023〕75号" in answer
    assert "？" not in answer.split("\n")[0]
    state = slots(bot_server, sender)
    assert state["identities"] == ["退役军人"] and state["industry"] == "餐饮" and state["entity_type"] == "个体工商户"


def test_bot_answers_first_then_asks_only_what_decides(bot_server):
    sender = new_sender()
    first = say(bot_server, sender, "创业担保贷款能贷多少")
    assert "30 万" in first[0]["text"] and "财金〔2023〕75号" in joined(first)  # the fact, at once
    assert first[-1]["text"].endswith("？") and not any(m["text"].endswith("？") for m in first[:-1])
    answer = joined(say(bot_server, sender, "我是退伍的"))
    assert "30 万" in answer and "祝您生意兴隆" not in answer


def test_owner_corrects_a_fact(bot_server):
    sender = new_sender()
    say(bot_server, sender, "我是个体户，小规模纳税人，月销售额8万，增值税要交吗")
    assert slots(bot_server, sender)["taxpayer_type"] == "小规模纳税人"
    say(bot_server, sender, "不对，我是一般纳税人")
    assert slots(bot_server, sender)["taxpayer_type"] == "一般纳税人"


def test_ended_deferral_is_explained_as_ended(bot_server):
    sender = new_sender()
    first = say(bot_server, sender, "我是开饭店的个体户，社保缓缴现在还能办吗")
    assert "已结束" in first[0]["text"] and "2022-12-31" in first[0]["text"]


def test_handoff_keeps_the_bot_quiet(bot_server):
    sender = new_sender()
    say(bot_server, sender, "个体户创业补贴有吗")
    answer = joined(say(bot_server, sender, "转人工"))
    assert "人工" in answer and "个体工商户" in answer
    assert "取消" in answer and "12345" in answer  # what happens next, and the way out
    assert say(bot_server, sender, "你好在吗") == []
    assert slots(bot_server, sender)["handoff_active"] is True
    waiting = joined(say(bot_server, sender, "人呢"))  # told what happens, still held by a person
    assert "排队" in waiting and "取消" in waiting and slots(bot_server, sender)["handoff_active"] is True
    assert "已取消" in joined(say(bot_server, sender, "不用人工了"))
    assert slots(bot_server, sender)["handoff_active"] is False
    assert "六税两费" in joined(say(bot_server, sender, "个体户有啥税收优惠"))


def test_nonsense_gets_choices_then_a_human(bot_server):
    sender = new_sender()
    first = say(bot_server, sender, "阿巴阿巴咕噜咕噜")
    second = say(bot_server, sender, "呜啦啦啦嘿嘿哈")
    texts = joined(first) + joined(second)
    buttons = [b["payload"] for m in first + second for b in (m.get("buttons") or [])]
    assert buttons, texts
    assert "/request_human" in buttons or "人工" in texts or "不在我" in texts or "帮不上" in texts


def test_api_match(bot_server):
    ok = requests.post(f"{bot_server.url}/api/match", json={"profile": {"entity_type": "个体工商户"},
                                                            "as_of": "2026-06-01"}, timeout=30)
    assert ok.status_code == 200
    body = ok.json()
    assert body["as_of"] == "2026-06-01" and body["results"] and body["next_question"]
    bad = requests.post(f"{bot_server.url}/api/match", json={"profile": {"employees": "很多"}}, timeout=30)
    assert bad.status_code == 400 and bad.json()["field"] == "employees"
    assert requests.post(f"{bot_server.url}/api/match", data="{oops", timeout=30).status_code == 400
