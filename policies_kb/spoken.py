"""The hotline operator's spoken script: what is read aloud to a caller, answer first.

Built from the same match results and wording helpers as the bot's messages (present.py)."""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Sequence

from policies_kb.matcher import ELIGIBLE, INELIGIBLE, POSSIBLE, MatchReport, MatchResult
from policies_kb.present import ADVICE_FAMILIES, doc_no, estimate, select, unmet, valid_until
from policies_kb.profile import field_title


def focused(report: MatchReport, families: Iterable[str]) -> List[MatchResult]:
    """Every policy worth showing, the asked topic's families first: a topic orders the list,
    it does not hide the caller's other fitting policies ("想贷款" still shows the veteran's tax cut)."""
    families = list(families)
    wanted = list(dict.fromkeys(families + ADVICE_FAMILIES))
    rank = {f: 0 if f in families else 1 for f in wanted}
    return sorted(select(report, wanted), key=lambda r: rank[r.record.data["family"]])


def _said_amount(result: MatchResult) -> str:
    """The estimate only when it is a figure for this caller (its question is asked once, at the end)."""
    spec = (result.record.data.get("benefit") or {}).get("estimate") or {}
    if not spec or any(result.facts.get(f) is None for f in spec.get("needs") or []):
        return ""
    return estimate(result).rstrip("。")


def benefit(result: MatchResult) -> str:
    return ((result.record.data.get("benefit") or {}).get("text") or "").rstrip("。；; ")


def _said(result: MatchResult) -> str:
    """"名称，好处，大约多少（依据文号，有效期）。" """
    amount = _said_amount(result)
    return (f"{result.record.data['name']}，{benefit(result)}" + (f"，{amount}" if amount else "")
            + f"（依据{doc_no(result) or '相关文件'}，{valid_until(result)}）。")


def _asked_line(result: MatchResult, report: MatchReport) -> str:
    name = result.record.data["name"]
    if result.status == ELIGIBLE:
        return f"您问到的{_said(result)}按您说的情况，这一项您可以享受。"
    if result.status == POSSIBLE:
        missing = "、".join(field_title(f) for f in result.missing) or "一些情况"
        return f"您问到的{name}，还要确认{missing}才能定。"
    if result.status == INELIGIBLE:
        why = unmet(result)
        return f"您问到的{name}，按您说的情况暂不符合" + (f"：{why}。" if why else "。")
    end = result.record.data.get("effective_to") or ""
    line = f"您问到的{name}（{doc_no(result)}）" + (f"已于{end}结束" if end else "已经结束") + "，现在不能再申请。"
    successor = report.get(result.record.data.get("replaced_by") or "")
    if successor is not None:
        line += f"现在接替它的是{successor.record.data['name']}。"
    return line


def how_to_apply(result: MatchResult) -> str:
    """The steps said aloud: where, what to do, what to bring."""
    apply = result.record.data.get("apply") or {}
    line = f"{result.record.data['name']}的办理方法：去{apply.get('channel') or '当地主管部门'}办理"
    steps = apply.get("steps") or []
    if steps:
        line += "，" + "；".join(f"第{i}步，{str(s).rstrip('。')}" for i, s in enumerate(steps, 1))
    if apply.get("materials"):
        line += "；要带的材料有：" + "、".join(apply["materials"])
    if apply.get("time_limit"):
        line += f"；办理时限：{apply['time_limit']}"
    return line + "。"


def spoken_script(report: MatchReport, families: Iterable[str], *, asked: Sequence[str] = (),
                  how_to: bool = False, question: Optional[Dict[str, Any]] = None) -> str:
    """What a hotline operator reads out, answer first: what the caller asked about (only the
    policies in `asked`, the ones they named, are called "您问到的"; an ended policy is never
    brought up otherwise), what is decided and how much, what may fit, the steps when asked
    how to apply, then the one question — last."""
    # Read aloud: the topic's own policies (the page lists every fitting one, the topic's first).
    results = select(report, families)
    named = [r for r in (report.get(pid) for pid in asked) if r is not None][:2]
    named_ids = {r.policy_id for r in named}
    eligible = [r for r in results if r.status == ELIGIBLE and r.policy_id not in named_ids]
    possible = [r for r in results if r.status == POSSIBLE and r.policy_id not in named_ids]
    lines = [_asked_line(r, report) for r in named]
    if not report.profile and not named:
        # Nothing known yet: every "可能适合" would be a guess read aloud as advice.
        return "您好，为了帮您查适用的政策，我先了解一下您的情况。" + (f"{question['question']}" if question else "")
    if eligible:
        lines.append(("另外，" if named else "根据您说的情况，") + "您可以享受这几项：")
        told = eligible[:2 if named else 3]  # read aloud: a few, the rest are on the operator's screen
        lines += [_said(r) for r in told]
        local = [r.record.data["name"] for r in told if r.caveats()]
        if local:
            lines.append(f"其中{'、'.join(local)}的具体标准以当地部门为准，建议您再向当地核实一下。")
    if possible:
        lines.append(f"{'、'.join(r.record.data['name'] for r in possible[:3])}可能也适合您，还要确认一点情况。")
    if how_to:
        target = next((r for r in named if r.status in (ELIGIBLE, POSSIBLE)), None) or (eligible + possible + [None])[0]
        if target is not None:
            lines.append(how_to_apply(target))
    if not lines:
        lines.append("根据您目前说的情况，暂时没有找到合适的政策，我帮您记录下来，由相关部门进一步答复。")
    if question:
        lines.append(f"我想再确认一下：{question['question']}")
    return "".join(lines)
