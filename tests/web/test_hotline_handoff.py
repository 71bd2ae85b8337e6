"""转人工队列: an owner asks for a human over WeChat → the conversation appears in the queue →
the operator replies (the reply reaches the fake WeChat API and the transcript) → release → the
bot answers again. Also: WeChat refusing the message, and a REST conversation on a server
without WeChat settings."""
from __future__ import annotations

import requests
import pytest

from bot.channels.rest import conversation_id
from bot.web import conversation_view as conversations, handoff
from tests.channels.wechat_side import new_openid
from tests.web.conftest import http_login, page_csrf, screenshot, ui_login



def test_conversation_view_reads_the_tracker():
    from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
    from rasa.shared.core.slots import BooleanSlot, TextSlot
    from rasa.shared.core.trackers import DialogueStateTracker

    slots = [BooleanSlot("handoff_active", mappings=[]), TextSlot("handoff_summary", mappings=[]),
             TextSlot("industry", mappings=[])]
    events = [UserUttered("我开了个面馆", timestamp=1_800_000_000), SlotSet("industry", "餐饮"),
              UserUttered("转人工", input_channel="wechat", timestamp=1_800_000_010),
              BotUttered("好的，已为您转人工"), SlotSet("handoff_summary", "画像：行业：餐饮"),
              SlotSet("handoff_active", True, timestamp=1_800_000_011),
              BotUttered("马上为您查", metadata={"operator": "staff1"})]
    view = conversations.conversation_view(DialogueStateTracker.from_events("oABC", events, slots=slots))
    assert view["held"] and view["channel"] == "wechat" and view["since"] == 1_800_000_011
    assert view["summary"] == "画像：行业：餐饮" and view["profile"] == "行业：餐饮"
    assert view["last_user"] == "转人工" and view["link"] == "/console/handoff/view?sender=oABC"
    assert [(m["kind"], m["text"]) for m in view["transcript"]] == [
        ("user", "我开了个面馆"), ("user", "转人工"), ("bot", "好的，已为您转人工"), ("system", "—— 转人工 ——"),
        ("operator", "马上为您查")]




def tracker(server, sender: str) -> dict:
    return server.tracker(sender)


def operator_messages(server, sender: str):
    return [e for e in tracker(server, sender)["events"]
            if e.get("event") == "bot" and (e.get("metadata") or {}).get("operator")]


def ask_for_human(owner, openid: str) -> None:
    owner.say(openid, "我开了个小饭馆，个体户，雇了两个人")
    reply = owner.say(openid, "我要转人工")
    assert reply and "转人工" in reply["Content"]
    waiting = owner.say(openid, "人呢？")  # told what happens, not silence; the question is the person's to answer
    assert waiting and "排队" in waiting["Content"] and "取消" in waiting["Content"]


@pytest.mark.integration
@pytest.mark.browser
def test_wechat_handoff_reply_and_release(wechat_console, wechat_owner, fake_wechat, new_page):
    openid = new_openid()
    ask_for_human(wechat_owner, openid)

    page = new_page(wechat_console.url)
    ui_login(page, "staff1", "staff1-pass-9x")
    page.wait_for_url("**/console/call")
    page.click("nav >> text=转人工队列")
    row = page.locator(f"tr[data-sender='{openid}']")
    assert row.count() == 1
    assert "微信" in row.inner_text() and "人呢？" in row.inner_text() and "餐饮" in row.inner_text()
    screenshot(page, "handoff_queue")

    row.locator("text=接待").click()
    page.wait_for_selector("#transcript")
    transcript = page.inner_text("#transcript")
    assert "我要转人工" in transcript and "人呢？" in transcript and "—— 转人工 ——" in transcript
    assert "雇工人数：2" in page.inner_text("aside")

    reply = "您好，我是 12345 坐席。您可以享受“六税两费”减半，我把办理方法发给您。"
    page.fill("#reply-text", reply)
    page.click("#send-reply")
    assert "回复已发送" in page.inner_text(".notice")
    assert reply in page.inner_text("#transcript")
    screenshot(page, "handoff_conversation")
    sent = [c for c in fake_wechat.wait_for("send", 1) if (c["json"] or {}).get("touser") == openid]
    assert [c["json"]["text"]["content"] for c in sent] == [reply]
    recorded = operator_messages(wechat_console, openid)
    assert [(e["text"], e["metadata"]["operator"]) for e in recorded] == [(reply, "staff1")]

    page.click("#release")
    page.wait_for_url("**/console/handoff?notice=released")
    assert page.locator(f"tr[data-sender='{openid}']").count() == 0
    slots = tracker(wechat_console, openid)["slots"]
    assert slots["handoff_active"] is False
    answer = wechat_owner.say(openid, "那六税两费怎么申请")
    assert answer and answer["Content"]  # the bot answers again
    assert not page.errors


@pytest.mark.integration
def test_wechat_refusal_is_shown_and_not_recorded(wechat_console, wechat_owner, fake_wechat):
    openid = new_openid()
    ask_for_human(wechat_owner, openid)
    session = http_login(wechat_console.url, "staff1", "staff1-pass-9x")
    csrf = page_csrf(session, wechat_console.url)
    fake_wechat.fail_next("send", 45015)
    resp = session.post(wechat_console.url + "/console/handoff/reply", timeout=30,
                        data={"csrf_token": csrf, "sender": openid, "text": "您好，请问还在吗？"})
    assert resp.status_code == 502
    assert "48 小时" in resp.text and "您好，请问还在吗？" in resp.text  # the draft is kept
    assert operator_messages(wechat_console, openid) == []
    resp = session.post(wechat_console.url + "/console/handoff/reply", timeout=30,
                        data={"csrf_token": csrf, "sender": openid, "text": "x" * (handoff.MAX_REPLY + 1)})
    assert resp.status_code == 400 and "不超过" in resp.text
    resp = session.post(wechat_console.url + "/console/handoff/release", allow_redirects=False, timeout=30,
                        data={"sender": openid})  # no CSRF token: refused, still held
    assert resp.status_code == 403 and tracker(wechat_console, openid)["slots"]["handoff_active"] is True


@pytest.mark.integration
def test_rest_handoff_on_a_server_without_wechat(console):
    sender = "rest-owner-" + new_openid()[-8:]
    conv = conversation_id(sender)  # what the console sees: REST senders have their own namespace
    for text in ("我是退役军人，想问创业补贴", "转人工"):
        requests.post(f"{console.url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                      timeout=30).raise_for_status()
    session = http_login(console.url, "staff1", "staff1-pass-9x")
    queue = session.get(console.url + "/console/handoff", timeout=30).text
    assert f'data-sender="{conv}"' in queue and "微信公众号未配置" in queue
    view = session.get(console.url + "/console/handoff/view", params={"sender": conv}, timeout=30).text
    assert "该渠道不能主动推送" in view and "退役军人" in view
    csrf = page_csrf(session, console.url)
    resp = session.post(console.url + "/console/handoff/reply", timeout=30,
                        data={"csrf_token": csrf, "sender": conv, "text": "已记录，稍后电话联系您。"})
    assert resp.status_code == 200 and "已记入对话记录" in resp.text
    assert [e["text"] for e in operator_messages(console, conv)] == ["已记录，稍后电话联系您。"]
    session.post(console.url + "/console/handoff/release", data={"csrf_token": csrf, "sender": conv}, timeout=30)
    assert f'data-sender="{conv}"' not in session.get(console.url + "/console/handoff", timeout=30).text
    reply = requests.post(f"{console.url}/webhooks/rest/webhook", json={"sender": sender, "message": "你好"},
                          timeout=30).json()
    assert reply  # the bot answers again
    missing = session.get(console.url + "/console/handoff/view", params={"sender": "nobody-here"}, timeout=30)
    assert missing.status_code == 404
