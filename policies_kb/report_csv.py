"""The demand report's tables as CSV for Excel, safe to open.

Cells hold what owners typed; a typed "=HYPERLINK(...)" must stay text in the spreadsheet.
"""
from __future__ import annotations

import csv
import io
from typing import Any, Mapping

CSV_TABLES = {
    "daily": ("每日咨询量", [("date", "日期"), ("messages", "消息数"), ("owners", "咨询人数"),
                            ("fallbacks", "没听懂次数"), ("handoffs", "转人工次数")]),
    "intents": ("意图分布", [("intent", "意图"), ("label", "名称"), ("count", "次数"), ("share", "占比")]),
    "unanswered": ("未能回答的问题", [("text", "问题"), ("count", "次数"), ("owners", "提问人数"),
                                     ("examples", "相近问法")]),
    "families": ("各类政策匹配", [("family", "类别"), ("family_name", "类别名称"), ("owners", "匹配人数"),
                                 ("matches", "匹配人次")]),
    "policies": ("政策匹配排行", [("policy_id", "政策 ID"), ("name", "政策名称"), ("family", "类别"),
                                 ("owners", "匹配人数")]),
    "expiring": ("即将到期且有人匹配", [("policy_id", "政策 ID"), ("name", "政策名称"), ("effective_to", "截止日期"),
                                      ("days_left", "剩余天数"), ("continuation_unconfirmed", "延续待确认"),
                                      ("owners", "匹配人数")]),
}


def to_csv(report: Mapping[str, Any], table: str) -> str:
    """One table of the report as CSV with Chinese headers; a BOM so Excel reads UTF-8."""
    _, columns = CSV_TABLES[table]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _, title in columns])
    for row in report[table]:
        writer.writerow([_cell(row.get(key)) for key, _ in columns])
    return "\ufeff" + out.getvalue()


# A cell starting with one of these is a formula to Excel / WPS / LibreOffice
# (=HYPERLINK(...), +cmd|..., @SUM, or hidden behind a leading tab / line break).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def neutralise(value: str) -> str:
    """Text as a spreadsheet shows it, never as a formula: a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_START) else value


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return neutralise("、".join(str(v) for v in value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        return neutralise(value)
    return value
