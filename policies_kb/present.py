"""Plain-Chinese answers built from match results: WeChat-sized bot messages, the hotline
operator's spoken script, and the 工单 summary. One wording for every channel."""
from __future__ import annotations

import re
from typing import Any, Dict, Iterable, List, Optional, Sequence

from policies_kb import loader
from policies_kb.matcher import ELIGIBLE, EXPIRED, INELIGIBLE, POSSIBLE, MatchReport, MatchResult
from policies_kb.profile import field_title

MAX_CHARS = 600  # one WeChat-sized message
PER_GROUP = 3    # policies listed per status before "回复 更多"

# Intent → family. find_policies / inform_profile mean "all families".
INTENT_FAMILIES = {
    "ask_social_insurance": ["social_insurance", "employment"],
    "ask_startup_subsidy": ["startup_subsidy"],
    "ask_guaranteed_loan": ["guaranteed_loan"],
    "ask_tax_relief": ["tax_relief"],
    "ask_ip_financing": ["ip_financing"],
    "ask_returnee_startup": ["returnee_startup", "startup_subsidy", "guaranteed_loan"],
    "ask_veteran_support": ["veteran_support", "guaranteed_loan", "tax_relief"],
    "ask_business_registration": ["business_registration"],
}
# Who to phone, by family: every answer names one line (issue 11).
FAMILY_HOTLINES = {
    "tax_relief": "12366 纳税缴费服务热线",
    "social_insurance": "12333 人社服务热线",
    "employment": "12333 人社服务热线",
    "startup_subsidy": "12333 人社服务热线或当地创业服务窗口",
    "guaranteed_loan": "12333 人社服务热线或当地经办银行",
    "returnee_startup": "12333 人社服务热线或县里的返乡创业服务窗口",
    "veteran_support": "当地退役军人服务站，涉税问题打 12366",
    "ip_financing": "12330 知识产权维权援助热线或当地知识产权局",
    "business_registration": "当地政务服务大厅（市场监管窗口），或 12345",
}
# Shown-to-owner families when matching everything: guides are answered by their own intent.
ADVICE_FAMILIES = [f for f in loader.FAMILIES if f != "business_registration"]


def families_for(key: Optional[str]) -> List[str]:
    if key in INTENT_FAMILIES:
        return INTENT_FAMILIES[key]
    if key in loader.FAMILIES:
        return [key]
    return ADVICE_FAMILIES


def select(report: MatchReport, families: Iterable[str]) -> List[MatchResult]:
    wanted = set(families)
    # A local overlay is shown under its base policy, not on its own.
    return [r for r in report.results if r.record.data["family"] in wanted and not r.record.data.get("overlays")]


def mentioned(results: Sequence[MatchResult], text: str, min_len: int = 2) -> List[MatchResult]:
    """Policies the owner named in `text` (by name or keyword), most specific match first.
    `min_len` 3 leaves out two-character topic words ("贷款", "贴息") that name no one policy."""
    text = re.sub(r"\s", "", text or "")
    hits = []
    for r in results:
        words = [re.sub(r"\s", "", str(w)) for w in [r.record.data["name"]] + list(r.record.data.get("keywords") or [])]
        best = max((len(w) for w in words if w and w in text), default=0)
        if best >= min_len:
            hits.append((best, r))
    hits.sort(key=lambda h: -h[0])
    return [r for _, r in hits]


def faq_for(data: Dict[str, Any], text: str) -> str:
    """The policy's own answer (`faq` in its YAML) to a question whose words it lists ("利息谁出")."""
    for item in data.get("faq") or []:
        if any(word and word in text for word in item.get("ask") or []):
            return str(item.get("answer") or "")
    return ""


def valid_until(result: MatchResult) -> str:
    d = result.record.data
    if d.get("effective_note"):  # a standing policy with phased parts: never a flat "长期有效"
        return str(d["effective_note"])
    return f"有效期至{d['effective_to']}" if d.get("effective_to") else "长期有效"


def doc_no(result: MatchResult) -> str:
    numbers = result.record.data.get("doc_numbers") or []
    return numbers[0] if numbers else ""


def one_line(result: MatchResult) -> str:
    """"• 名称：好处（文号，有效期）" plus a why/what-is-missing tail and caveat markers."""
    d = result.record.data
    benefit = (d.get("benefit") or {}).get("text", "")
    head = f"• {d['name']}：{benefit}（{doc_no(result)}，{valid_until(result)}）"
    if result.status == POSSIBLE and result.missing:
        head += f"\n  还需确认：{'、'.join(field_title(f) for f in result.missing)}"
    elif result.status == INELIGIBLE:
        # Compact: the name and the first unmet condition, said as the owner's fact against it.
        head = f"• {d['name']}" + (f"——{unmet(result)}" if unmet(result) else "")
    elif result.status == EXPIRED:
        end = d.get("effective_to") or ""
        head = f"• {d['name']}（{doc_no(result)}，{end} 已结束"
        head += "，是否延续待核实）" if d.get("continuation_unconfirmed") else "）"
    if result.status in (ELIGIBLE, POSSIBLE):
        amount = estimate(result)
        if amount:
            head += f"\n  💰 {amount}"
        if d.get("continuation_unconfirmed"):
            head += "\n  〔待核实〕到期后是否延续尚无正式文件"
        elif d.get("to_confirm"):
            head += "\n  〔待核实〕部分细节以当地为准"
        if (d.get("benefit") or {}).get("local_standard"):
            head += "\n  〔地方标准〕金额以当地为准"
        # A district's own standard only when the owner is known to be there: shown to everyone
        # else it reads as their own entitlement (it showed the fictional 示例区 one to owners).
        for overlay in result.overlays:
            if overlay["status"] == "eligible":
                head += f"\n  本地加码：{overlay['name']}——{overlay['benefit']}"
    return head


def chunks(lines: List[str], limit: int = MAX_CHARS) -> List[str]:
    """Lines joined into WeChat-sized messages (at most `limit` characters each)."""
    messages, current = [], ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit and current:
            messages.append(current)
            current = line[:limit]
        else:
            current = candidate[:limit]
    if current:
        messages.append(current)
    return messages


MAX_NAMED = 2  # policies the owner named that lead the answer
VERDICT_ICONS = {ELIGIBLE: "✅", POSSIBLE: "🔶", INELIGIBLE: "❌", EXPIRED: "⏹"}


def answer_messages(report: MatchReport, families: Iterable[str], page: int = 1,
                    first: Sequence[str] = ()) -> List[str]:
    """The bot's answer for a family question, split into WeChat-sized messages. The policies in
    `first` (the ones the owner named: "增值税要交吗") come before everything else, each with its
    verdict; the rest of the family follows by verdict."""
    families = list(families)
    results = select(report, families)
    # ended ones stay in their group: "已结束" was said first, by actions/answers.ended_lines
    named = [r for r in results if r.policy_id in first and r.status != EXPIRED][:MAX_NAMED]
    results = [r for r in results if r not in named]
    groups = {status: [r for r in results if r.status == status] for status in (ELIGIBLE, POSSIBLE, INELIGIBLE, EXPIRED)}
    start, stop = (page - 1) * PER_GROUP, page * PER_GROUP
    lines: List[str] = []
    if named and page == 1:
        lines.append("您问到的：")
        lines += ["• " + VERDICT_ICONS[r.status] + " " + one_line(r)[2:] for r in named]
        if any(groups.values()):
            lines.append("同类的其他政策：")
    titles = {ELIGIBLE: "✅ 您符合：", POSSIBLE: "🔶 要看情况（还差一点信息）：", INELIGIBLE: "❌ 暂不符合：",
              EXPIRED: "⏹ 已结束（不能再申请）："}
    more = 0
    for status, title in titles.items():
        shown = groups[status][start:stop]
        more += max(0, len(groups[status]) - stop)
        if shown:
            lines.append(title)
            lines += [one_line(r) for r in shown]
    if not lines:
        lines.append("没有更多了。" if page > 1 else "这一类暂时没有查到适合您的政策。")
    if more:
        lines.append(f"另有 {more} 项，回复“更多”查看。")
    lines.append(hotline(families))
    lines.append(f"（依据知识库 {report.kb_version}，匹配日期 {report.as_of}；标〔待核实〕〔地方标准〕的请以当地部门为准）")
    return chunks(lines)


def application_messages(result: MatchResult, kb_version: str = "") -> List[str]:
    d = result.record.data
    apply = d.get("apply") or {}
    lines = [f"「{d['name']}」怎么办：", f"去哪办：{apply.get('channel', '以当地部门为准')}"]
    steps = apply.get("steps") or []
    if steps:
        lines.append("步骤：" + "；".join(f"{i}. {s}" for i, s in enumerate(steps, 1)))
    materials = apply.get("materials") or []
    if materials:
        lines.append("材料：" + "、".join(materials))
    if apply.get("time_limit"):
        lines.append(f"时限：{apply['time_limit']}")
    lines.append(f"依据：{doc_no(result)}，{valid_until(result)}。" + (f"（知识库 {kb_version}）" if kb_version else ""))
    return chunks(lines)


def profile_summary(profile: Dict[str, Any]) -> str:
    parts = []
    for key, value in profile.items():
        if key == "region":
            value = "".join(value.get(k, "") for k in ("province", "city", "district"))
        elif isinstance(value, list):
            value = "、".join(value) or "无"
        elif isinstance(value, bool):
            value = "是" if value else "否"
        parts.append(f"{field_title(key)}：{value}")
    return "；".join(parts) or "（暂无）"


def unmet(result: MatchResult) -> str:
    """"您的主体类型是个体工商户，这项要求：是缴纳企业所得税的企业" — never the bare requirement."""
    for t in result.trace():
        if t["result"] == "failed":
            actual = result.facts.get(t["field"])
            if isinstance(actual, list) and not actual:
                return f"您说不属于所列身份，这项要求：{t['label']}"
            if isinstance(actual, list):
                actual = "、".join(actual)
            elif isinstance(actual, float):
                actual = f"{actual:g}"
            return f"您的{field_title(t['field'])}是{actual}，这项要求：{t['label']}"
    return ""


def hotline(families: Iterable[str]) -> str:
    lines, numbers = [], set()
    for f in families:
        line = FAMILY_HOTLINES.get(f)
        if line and line[:5] not in numbers:  # one mention per number
            lines.append(line)
            numbers.add(line[:5])
    return "☎ 电话咨询：" + ("；".join(lines[:2]) if lines else "12345 政务服务便民热线")


# ---- amounts from structured benefit data (benefit.estimate in the policy YAML) -----------------

def _bracket(amount: float, table: List[List[float]]) -> float:
    """Progressive table rows [upper bound, rate, quick deduction]; the last row has no bound."""
    for upper, rate, deduction in table:
        if upper is None or amount <= upper:
            return max(0.0, amount * rate - deduction)
    return 0.0


def _evaluate(expr: str, names: Dict[str, float], table: List[List[float]]) -> float:
    """Arithmetic over profile numbers only: + - * /, min, max, bracket(x)."""
    import ast
    import operator

    ops = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
    funcs = {"min": min, "max": max, "bracket": lambda x: _bracket(x, table)}

    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.Name) and node.id in names:
            return float(names[node.id])
        if isinstance(node, ast.BinOp) and type(node.op) in ops:
            return ops[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in funcs:
            return funcs[node.func.id](*[walk(a) for a in node.args])
        raise ValueError(f"estimate formula: {ast.dump(node)[:60]}")
    return walk(ast.parse(expr, mode="eval"))


def estimate(result: MatchResult) -> str:
    """The policy's amount for this owner, with its formula; 〔地方标准〕 never gets a number."""
    benefit = result.record.data.get("benefit") or {}
    spec = benefit.get("estimate")
    if not spec:
        return ""
    if benefit.get("local_standard"):
        return "具体金额由当地定，以当地为准。"
    names = {f: result.facts.get(f) for f in spec.get("needs") or []}
    if any(v is None for v in names.values()):
        return spec.get("ask", "")
    try:
        yuan = _evaluate(spec["yuan"], names, spec.get("table") or [])
    except (ValueError, ZeroDivisionError, KeyError):
        return ""
    shown = {k: f"{v:g}" for k, v in names.items()}
    return spec["text"].format(yuan=f"{yuan:,.0f}", **shown)
