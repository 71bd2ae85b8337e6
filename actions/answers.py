"""The first lines of an answer: the fact asked for (how much / until when / what is it / where
/ which documents / can I), from the policy data, before anything about the owner."""
from __future__ import annotations

from typing import List, Optional, Sequence

from rasa_sdk import Tracker

from actions import understand
from actions.routing import MATCHING_INTENTS
from policies_kb import conditions, present
from policies_kb.matcher import ELIGIBLE, EXPIRED, INELIGIBLE, POSSIBLE, MatchReport, MatchResult
from policies_kb.profile import field_title

VERDICT = {ELIGIBLE: "按您说的情况：可以。", POSSIBLE: "按您说的情况：要看情况", INELIGIBLE: "按您说的情况：不能。",
           EXPIRED: "这项已经结束。"}


def question_text(tracker: Tracker) -> str:
    """The owner's message that asked the current question (answers to our question come later)."""
    if tracker.get_slot("question_text"):
        return tracker.get_slot("question_text")
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent in MATCHING_INTENTS:
                return event.get("text") or ""
    return (tracker.latest_message or {}).get("text") or ""


def personal(result: MatchResult) -> str:
    line = VERDICT[result.status]
    if result.status == POSSIBLE and result.missing:
        line += f"，还要看：{'、'.join(field_title(f) for f in result.missing[:2])}。"
    elif result.status == POSSIBLE:
        line += "。"
    elif result.status == INELIGIBLE:
        line += present.unmet(result) + "。"
    return line


def source(result: MatchResult) -> str:
    return f"依据：{'、'.join(result.record.data.get('doc_numbers') or [])}，{present.valid_until(result)}。"


def ended_lines(ended: Sequence[MatchResult], report: MatchReport) -> List[str]:
    """One ended policy: "已结束（文号，结束日期）", then what runs now. Several (社保缓缴 2022 ×3):
    what runs now (or ran last) first, then one line naming the ended ones."""
    current, notes, plain = [], [], []
    for r in ended:
        d = r.record.data
        if d.get("continuation_unconfirmed"):  # the brief marks its renewal 〔需核对〕: never say "ended" flat
            notes.append(f"⏹ 「{d['name']}」按现有文件执行到 {d.get('effective_to')}（{present.doc_no(r)}）；"
                         f"〔待核实〕之后是否延续尚无正式文件，请向当地主管部门确认。")
        else:
            plain.append(r)
        successor = report.get(d.get("replaced_by") or "")
        if successor is not None and successor.policy_id not in [c.policy_id for c in current]:
            current.append(successor)
    if len(plain) == 1:
        d = plain[0].record.data
        notes.append(f"⏹ 「{d['name']}」已结束（{present.doc_no(plain[0])}，{d.get('effective_to')} 结束）。")
    elif plain:
        notes.append("⏹ 以下已结束、不能再申请：" + "；".join(
            f"「{r.record.data['name']}」（{present.doc_no(r)}，{r.record.data.get('effective_to')} 结束）" for r in plain) + "。")
    lines = []
    for r in current:
        d = r.record.data
        benefit = (d.get("benefit") or {}).get("text", "")
        if r.status == EXPIRED:  # the successor itself ran out and its renewal is unconfirmed
            lines.append(f"⏹ 最近一次是「{d['name']}」：{benefit}（{present.doc_no(r)}）")
            lines += r.reasons()[:1]
        else:
            lines.append(f"现在在执行的是「{d['name']}」：{benefit}（{present.doc_no(r)}）")
            lines += r.caveats()[:1]
            lines.append(personal(r))
    return notes + lines if len(ended) == 1 else lines + notes


def faq_answer(result: MatchResult, text: str) -> str:
    return present.faq_for(result.record.data, text)


def fact_lines(kind: Optional[str], result: MatchResult, report: MatchReport, text: str = "") -> List[str]:
    """The fact first, then the personal verdict when the profile decides it."""
    d = result.record.data
    apply = d.get("apply") or {}
    name = f"「{d['name']}」"
    if result.status == EXPIRED:
        return ended_lines([result], report)
    faq = faq_answer(result, text)
    if faq:
        lines = [f"{name}：{faq}", source(result)] + result.caveats()[:1]
        return lines + [personal(result)]
    if kind == "conditions":
        lines = [f"{name}的申请条件（✅ 已符合 ❌ 不符合 ❔ 还不知道）："]
        lines += conditions.describe(d["conditions"], result.facts)
        lines.append(f"能得到：{(d.get('benefit') or {}).get('text', '')}")
        return lines + [source(result), personal(result)]
    if kind == "materials":
        materials = apply.get("materials") or []
        lines = [f"{name}要准备的材料：" + ("、".join(materials) if materials else "不用另交材料，申报时填写即可（免申即享）。")]
        lines.append(f"去哪办：{apply.get('channel', '以当地部门为准')}")
    elif kind == "place":
        lines = [f"{name}去哪办：{apply.get('channel', '以当地部门为准')}"]
        steps = apply.get("steps") or []
        if steps:
            lines.append("步骤：" + "；".join(f"{i}. {s}" for i, s in enumerate(steps, 1)))
    elif kind == "time":
        lines = [f"{name}时限：{apply.get('time_limit') or '以当地部门公布为准'}"]
    elif kind == "until":
        start = d.get("effective_from")
        lines = [f"{name}：{start} 起施行，{present.valid_until(result)}（{present.doc_no(result)}）。"]
    elif kind == "what":
        lines = [f"{name}是什么：{' '.join(str(d.get('summary', '')).split())}",
                 f"谁来办：{d.get('issuer', '')}；去哪办：{apply.get('channel', '以当地部门为准')}"]
    elif kind == "can":
        lines = [f"关于{name}：{personal(result)}"]
        if result.status in (ELIGIBLE, POSSIBLE):
            lines.append(f"能得到：{(d.get('benefit') or {}).get('text', '')}")
            lines.append(f"去哪办：{apply.get('channel', '以当地部门为准')}")
        instead = report.get((d.get("benefit") or {}).get("instead") or "")
        if result.status == INELIGIBLE and instead is not None:
            lines.append(f"您能看的是「{instead.record.data['name']}」：{(instead.record.data.get('benefit') or {}).get('text', '')}"
                         f"（{present.doc_no(instead)}）{personal(instead)}")
        lines.append(source(result))
        return lines + result.caveats()[:2]
    else:  # amount, or no particular kind: the benefit with its numbers
        lines = [f"{name}：{(d.get('benefit') or {}).get('text', '')}"]
    amount = present.estimate(result) if result.status in (ELIGIBLE, POSSIBLE) else ""
    if amount:
        lines.append(f"💰 {amount}")
    lines.append(source(result))
    lines += result.caveats()[:1]
    lines.append(personal(result))
    return lines


def topic_pick(text: str, results: Sequence[MatchResult]) -> List[MatchResult]:
    """A fact question naming no policy ("退伍的开店税能减多少"): the open policy of the topic
    said that fits most of what is known about the owner."""
    for pattern, family in understand.TOPICS:
        if pattern.search(text):
            fits = [r for r in results if r.record.data["family"] == family and r.status in (ELIGIBLE, POSSIBLE)]
            if sum(1 for r in fits if r.status == ELIGIBLE) >= 2:
                return []  # several already decided: the list, with each amount, answers "能省多少"
            if fits:
                passed = {r.policy_id: sum(1 for t in r.trace() if t["result"] == "passed") for r in fits}
                return [max(fits, key=lambda r: (passed[r.policy_id], -len(r.missing)))]
    return []
