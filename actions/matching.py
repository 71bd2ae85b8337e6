"""Answering with the policies that fit: per family, or yes / no / depends for one policy."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import understand
from actions.answers import ended_lines, faq_answer, fact_lines, question_text, topic_pick
from actions.common import field_slot, latest_text, match_tracker
from policies_kb import matcher, present
from policies_kb.matcher import ELIGIBLE, EXPIRED, POSSIBLE


MAX_QUESTIONS = 3  # per owner question: never interrogate


class ActionAnswerPolicies(Action):
    """Answer first: the fact or verdict asked about, what is decided, what depends on what;
    then at most one question, and only one whose answer changes the result."""

    def name(self) -> Text:
        return "action_answer_policies"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        family = tracker.get_slot("current_family") or "find_policies"
        families = present.families_for(family)
        report = match_tracker(tracker)
        results = present.select(report, families)
        asked_text = question_text(tracker)
        kind = understand.fact_kind(asked_text)
        named = present.mentioned(results, asked_text)
        if kind and not named:
            named = topic_pick(asked_text, results)
        # "担保贷款利息谁出", or "利息咋算" after the loan answer: a policy's own answer to that
        # question (its `faq`) comes before any list or generic fact
        answering = [r for r in (named or results) if r.status != EXPIRED and faq_answer(r, asked_text)]
        if answering:
            named, kind = answering[:1], "faq"
        page = int(tracker.get_slot("page") or 1)
        focus = results
        ended = [r for r in named if r.status == EXPIRED]
        # The owner added a fact after being told a policy ended ("以个人交"): the family answer
        # for the new profile, not the same "已结束" lines again.
        repeat_ended = bool(ended) and latest_text(tracker) != asked_text
        if page == 1 and named and (kind or named[0].status == EXPIRED) and not repeat_ended:
            if ended and kind in (None, "until", "can", "amount"):
                lines = ended_lines(ended, report)
                focus = [report.get(r.record.data.get("replaced_by") or "") for r in ended]
                focus = [r for r in focus if r is not None] or named[:1]
            else:
                lines = fact_lines(kind, named[0], report, asked_text)
                focus = named[:1]
            lines += [present.hotline(families), f"（依据知识库 {report.kb_version}，{report.as_of}）"]
            messages = present.chunks(lines)
        else:
            messages = present.answer_messages(report, families, page=page, first=[r.policy_id for r in named])
        unchanged = False
        if page == 1 and latest_text(tracker) != asked_text and "\n".join(messages)[:2000] == tracker.get_slot("last_answer"):
            # "6万" that changes nothing: say so, not the same block again
            unchanged = True
            messages = ["收到。按您补充的情况，上面的结果没有变化。想看别的政策可以直接问，比如“有什么补贴”。"]
        for i, text in enumerate(messages):
            last = i == len(messages) - 1
            buttons = [{"title": "更多", "payload": "更多"}] if last and "回复“更多”" in text else None
            dispatcher.utter_message(text=text, buttons=buttons)
        events = [SlotSet("page", page), SlotSet("matched_policies", [r.policy_id for r in results if r.status in (ELIGIBLE, POSSIBLE)]),
                  SlotSet("last_answer", tracker.get_slot("last_answer") if unchanged else "\n".join(messages)[:2000]),
                  SlotSet("current_policy", (named or focus or [None])[0].policy_id if (named or focus) else None)]
        if named and any(r.status == POSSIBLE for r in named[:1]):
            focus = named[:1]  # the question that decides what the owner asked about
        pending = tracker.get_slot("asked_slot")
        if page > 1 and pending:  # "更多" is not an answer: the open question stays open, asked again
            dispatcher.utter_message(response=f"utter_ask_{pending}")
            return events
        return events + self.ask_one(dispatcher, tracker, focus if page == 1 else [])

    @staticmethod
    def ask_one(dispatcher: CollectingDispatcher, tracker: Tracker, focus: List[Any]) -> List[Dict[Text, Any]]:
        """The single most deciding question, after the answer; none past the budget."""
        asked = int(tracker.get_slot("questions_asked") or 0)
        skipped = list(tracker.get_slot("skipped_fields") or [])
        question = matcher.next_question(focus, exclude=[f for s in skipped for f in (s, f"region.{s}")]) if focus else None
        if question is None or asked >= MAX_QUESTIONS:
            return [SlotSet("asked_slot", None)]
        slot = field_slot(question["field"])
        if slot in skipped:
            return [SlotSet("asked_slot", None)]
        dispatcher.utter_message(response=f"utter_ask_{slot}")
        return [SlotSet("asked_slot", slot), SlotSet("questions_asked", asked + 1)]


class ActionExplainApplication(Action):
    """怎么申请 / 要带什么材料 / 去哪办 — for the policy in context."""

    def name(self) -> Text:
        return "action_explain_application"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict[Text, Any]]:
        report = match_tracker(tracker)
        candidates = [r for r in report.results if not r.record.data.get("overlays")]
        named = present.mentioned(candidates, latest_text(tracker))
        result = named[0] if named else report.get(tracker.get_slot("current_policy") or "")
        if result is None:
            family = tracker.get_slot("current_family")
            options = [r for r in present.select(report, present.families_for(family))
                       if r.status in (ELIGIBLE, POSSIBLE)][:4]
            dispatcher.utter_message(
                text="您想了解哪项政策的申请方法？",
                buttons=[{"title": r.record.data["name"], "payload": f"{r.record.data['name']}怎么申请"} for r in options] or None)
            return []
        kind = understand.fact_kind(latest_text(tracker))
        if kind in ("materials", "place", "time"):
            # "要带什么材料" / "去哪办" / "多久": the part asked for, not the whole block again
            lines = fact_lines(kind, result, report)[:-1] + [present.hotline([result.record.data["family"]])]
            for text in present.chunks(lines):
                dispatcher.utter_message(text=text)
        else:
            for text in present.application_messages(result, report.kb_version):
                dispatcher.utter_message(text=text)
        return [SlotSet("current_policy", result.policy_id)]
