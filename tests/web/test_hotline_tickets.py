"""工单 records on the real (SQLite) policies database: numbering, masking in lists, search by
phone, CSV export; call drafts and handoff claims; every shown time in Beijing time while this
machine's clock runs UTC."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from bot.web import records, tickets
from policies_kb import clock
from policies_kb.db import session_scope

FIELDS = {"caller_name": "张三丰", "caller_phone": "13812345678", "category": "政策咨询", "outcome": "办结",
          "department": "", "follow_up_on": None}


def make(session, **over):
    return tickets.create_ticket(session=session, operator="staff1", fields={**FIELDS, **over},
                                 question="想贷款", answer="您可以享受……", kb_version="v1", profile={},
                                 policies=[{"id": "startup_guaranteed_loan", "name": "创业担保贷款及财政贴息",
                                            "doc_no": "财金〔2023〕75号", "status": "符合"}])


def test_ticket_is_numbered_by_beijing_date_and_listed_masked(kb_url):
    with session_scope(kb_url) as session:
        row = make(session)
        row.created_at = dt.datetime(2026, 12, 2, 17, 30)  # 17:30 UTC is already the 3rd in Beijing
        row.number = f"{clock.local_time(row.created_at, '%Y%m%d')}{row.id:06d}"
    with session_scope(kb_url) as session:
        found = tickets.find_tickets(session=session, phone="13812345678")
    assert found["total"] == 1
    t = found["rows"][0]
    assert t["number"].startswith("20261203") and t["created_at"] == "2026-12-03 01:30"
    assert t["caller_phone"] == "138****5678" and t["caller_name"] == "张**"
    assert t["policies"][0]["doc_no"] == "财金〔2023〕75号"


def test_caller_history_by_phone_newest_first(kb_url):
    with session_scope(kb_url) as session:
        first = make(session).number
        make(session, caller_phone="13900000000")
        second = make(session, category="求助", outcome="转办", department="市人力资源和社会保障局").number
    with session_scope(kb_url) as session:
        mine = tickets.find_tickets(session=session, phone="138 1234 5678")
        by_tail = tickets.find_tickets(session=session, phone="5678")
        everyone = tickets.find_tickets(session=session)
    assert [t["number"] for t in mine["rows"]] == [second, first]
    assert by_tail["total"] == 2 and everyone["total"] == 3


def test_csv_export_is_unmasked_beijing_time_and_formula_safe(kb_url):
    with session_scope(kb_url) as session:
        row = make(session, caller_name="=HYPERLINK(\"x\")", follow_up_on=dt.date(2026, 12, 9))
        row.created_at = dt.datetime(2026, 12, 2, 0, 5)
    with session_scope(kb_url) as session:
        text = tickets.export_csv(session=session, phone="13812345678")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header, line = rows[0], rows[1]
    record = dict(zip(header, line))
    assert record["来电号码"] == "13812345678" and record["来电人"].startswith("'=")
    assert record["受理时间（北京时间）"] == "2026-12-02 08:05" and record["回访日期"] == "2026-12-09"
    assert record["引用政策（文号）"] == "创业担保贷款及财政贴息（财金〔2023〕75号）"


@pytest.mark.parametrize("raw,field", [
    ({**FIELDS, "caller_phone": "abc"}, "caller_phone"),
    ({**FIELDS, "category": "闲聊"}, "category"),
    ({**FIELDS, "outcome": "搁置"}, "outcome"),
    ({**FIELDS, "outcome": "转办", "department": ""}, "department"),
    ({**FIELDS, "follow_up_on": "下周"}, "follow_up_on"),
])
def test_ticket_validation_names_the_field(raw, field):
    with pytest.raises(tickets.TicketError) as info:
        tickets.validate(raw)
    assert info.value.field == field


def test_categories_and_departments_come_from_the_data_file():
    opts = tickets.options()
    assert "政策咨询" in opts["categories"] and "投诉" in opts["categories"]
    assert "市税务局" in opts["departments"] and opts["outcomes"] == ["办结", "转办"]


def _user(url):
    from bot.web import accounts

    with session_scope(url) as session:
        return accounts.create_user(session=session, username="drafter", password="drafter-pass-1", role="staff").id


def test_a_call_draft_is_the_operators_own_and_closes_with_its_ticket(kb_url):
    uid = _user(kb_url)
    with session_scope(kb_url) as session:
        call_id = records.new_draft(session=session, user_id=uid)
    with session_scope(kb_url) as session:
        assert records.save_draft(session=session, user_id=uid, call_id=call_id, state={"topic": "ask_tax_relief"})
        assert not records.save_draft(session=session, user_id=uid + 1, call_id=call_id, state={})
    with session_scope(kb_url) as session:
        assert records.open_draft(session=session, user_id=uid).state == {"topic": "ask_tax_relief"}
        records.close_draft(session=session, user_id=uid, call_id=call_id)
    with session_scope(kb_url) as session:
        assert records.open_draft(session=session, user_id=uid) is None


def test_one_operator_per_claim_and_a_failed_notice_is_kept(kb_url):
    with session_scope(kb_url) as session:
        assert records.claim(session=session, sender_id="oX", operator="staff1").operator == "staff1"
    with session_scope(kb_url) as session:
        assert records.claim(session=session, sender_id="oX", operator="staff2").operator == "staff1"
        records.unclaim(session=session, sender_id="oX", operator="staff1", notice_failed="微信发送失败")
    with session_scope(kb_url) as session:
        assert records.claims(session=session)["oX"].notice_failed == "微信发送失败"
        assert records.claim(session=session, sender_id="oX", operator="staff2").operator == "staff2"
        records.unclaim(session=session, sender_id="oX", operator="staff2")
    with session_scope(kb_url) as session:
        assert records.claims(session=session) == {}


@pytest.mark.parametrize("value,shown", [
    (dt.datetime(2026, 12, 2, 16, 30), "2026-12-03 00:30"),                     # stored naive UTC
    (dt.datetime(2026, 12, 2, 16, 30, tzinfo=dt.timezone.utc), "2026-12-03 00:30"),
    (0, ""), (1_800_000_000, "2027-01-15 16:00"),                               # Rasa's epoch seconds
])
def test_displayed_times_are_beijing_time_on_a_utc_machine(value, shown, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.delenv("ZCT_TIMEZONE", raising=False)
    assert clock.local_time(value) == shown


def test_every_console_shows_the_same_beijing_time(monkeypatch):
    """Hotline transcript (Rasa epoch seconds), 工单 and admin pages (stored UTC) all go through
    bot.clock.local_time: one setting, one answer."""
    from bot.web import conversation_view as conversations
    from policies_kb import queries

    monkeypatch.setenv("TZ", "UTC")
    stored = dt.datetime(2026, 12, 2, 16, 30)
    epoch = stored.replace(tzinfo=dt.timezone.utc).timestamp()
    assert queries.bj(stored) == "2026-12-03 00:30"
    assert conversations._when(epoch) == "12-03 00:30:00"
    assert tickets.ticket_dict(records.Ticket(created_at=stored, caller_name="", caller_phone="",
                                              policies=[]))["created_at"] == "2026-12-03 00:30"
    monkeypatch.setenv("ZCT_TIMEZONE", "Asia/Urumqi")  # the one setting moves every page
    assert queries.bj(stored) == "2026-12-02 22:30" and conversations._when(epoch) == "12-02 22:30:00"


@pytest.mark.parametrize("since,now,said", [(0, 100, ""), (1000, 1030, "不到 1 分钟"), (1000, 1000 + 12 * 60, "12 分钟"),
                                            (1000, 1000 + 125 * 60, "2 小时 5 分钟")])
def test_waiting_time_as_the_queue_says_it(since, now, said):
    from bot.web import conversation_view as conversations

    assert conversations.waited(since, now) == said


def test_a_claim_from_an_earlier_handoff_does_not_block_the_next(kb_url):
    with session_scope(kb_url) as session:
        records.claim(session=session, sender_id="oY", operator="staff1")
    later = records.utcnow() + dt.timedelta(minutes=5)  # the owner cancelled, then asked again
    with session_scope(kb_url) as session:
        assert records.claim(session=session, sender_id="oY", operator="staff2", held_since=later).operator == "staff2"


def test_today_is_the_owners_date_not_the_utc_servers(kb_url, monkeypatch):
    """From 00:00 to 08:00 北京时间 a UTC server's date is still yesterday: matching (the bot's,
    the hotline's) and "今年/去年" use the product's zone."""
    from policies_kb import matcher

    new_year_in_beijing = dt.datetime(2027, 12, 31, 17, 0, tzinfo=dt.timezone.utc)  # 01:00 on 1 Jan 2028
    assert clock.local_today(new_year_in_beijing) == dt.date(2028, 1, 1)
    monkeypatch.setenv("ZCT_TIMEZONE", "Pacific/Kiritimati")  # UTC+14: its date differs from UTC's most of the day
    from zoneinfo import ZoneInfo

    assert matcher.match({}).as_of == dt.datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
