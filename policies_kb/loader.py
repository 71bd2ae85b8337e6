"""Policy source files: read the YAML (keeping line numbers) and validate every document.

Each error names the file and the line, so an admin can fix the file without a programmer.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

import yaml

from policies_kb import conditions, sources

POLICY_DIR = Path(__file__).with_name("policies")
CASES_DIR = Path(__file__).with_name("cases")

FAMILIES = {
    "social_insurance": "社会保险",
    "startup_subsidy": "创业补贴",
    "guaranteed_loan": "创业担保贷款",
    "tax_relief": "税费减免",
    "ip_financing": "知识产权融资",
    "returnee_startup": "返乡入乡创业",
    "veteran_support": "退役军人扶持",
    "business_registration": "登记办事",
    "employment": "稳岗就业",
}
STATUSES = ("draft", "published", "retired")
SCOPES = ("national", "province", "city", "district")
REQUIRED = ("id", "name", "family", "status", "issuer", "doc_numbers", "region", "effective_from",
            "summary", "benefit", "conditions", "apply")
KNOWN_KEYS = set(REQUIRED) | {"source_url", "effective_to", "continuation_unconfirmed", "replaced_by",
                              "overlays", "to_confirm", "exclusive_with", "keywords", "version",
                              "updated_by", "faq", "effective_note"}
ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
# The order of a policy file's keys, as admins read them (dumps and diffs follow it).
DOC_ORDER = ("id", "name", "family", "status", "issuer", "doc_numbers", "source_url", "region", "effective_from",
             "effective_to", "effective_note", "continuation_unconfirmed", "replaced_by", "overlays", "summary",
             "benefit", "to_confirm", "conditions", "exclusive_with", "apply", "faq", "keywords")
# What the editor calls each field of a policy document: messages and diffs use these words.
FIELD_TITLES = {
    "id": "政策 ID", "name": "政策名称", "family": "类别", "status": "状态", "issuer": "发文机关",
    "doc_numbers": "文号", "source_url": "原文链接", "region": "适用地区", "effective_from": "开始日期",
    "effective_to": "截止日期", "effective_note": "有效期说明", "continuation_unconfirmed": "延续待确认",
    "replaced_by": "被哪项政策取代", "overlays": "本地加码于", "summary": "摘要", "benefit": "扶持内容",
    "benefit.text": "能得到什么", "benefit.amount_max_yuan": "最高金额（元）", "benefit.term_years": "期限（年）",
    "benefit.rate": "费率/比例", "benefit.local_standard": "地方标准", "to_confirm": "待核实事项",
    "conditions": "申请条件", "exclusive_with": "不能同时享受", "apply": "办理方式", "apply.channel": "去哪办",
    "apply.steps": "办理步骤", "apply.materials": "所需材料", "apply.time_limit": "时限", "faq": "常见问答",
    "keywords": "关键词", "region.province": "省份", "region.city": "城市", "region.district": "区县",
}
STATUS_WORDS = {"published": "生效", "draft": "草稿（不对外）", "retired": "已废止"}
SCOPE_WORDS = {"national": "全国", "province": "省级", "city": "市级", "district": "区县"}


def field_title(path: str) -> str:
    return FIELD_TITLES.get(path, path)


def _choices(words: Dict[str, str]) -> str:
    return "、".join(f"{key}（{word}）" for key, word in words.items())


@dataclass
class KbError:
    file: str
    line: int
    message: str
    unreadable: bool = False  # the file itself could not be read (encoding, size): bad input

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class SourceDoc:
    path: str
    data: Dict[str, Any]
    lines: Dict[str, int]  # dotted path → 1-based line

    def line(self, path: str) -> int:
        """Line of `path`, or of its nearest parent present in the file."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = re.sub(r"(\.[^.\[\]]+|\[\d+\])$", "", path) if re.search(r"[.\[]", path) else ""
        return 1


def _line_map(node: yaml.Node, path: str = "", out: Optional[Dict[str, int]] = None) -> Dict[str, int]:
    out = {} if out is None else out
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = f"{path}.{key.value}" if path else str(key.value)
            out[sub] = key.start_mark.line + 1
            _line_map(value, sub, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            sub = f"{path}[{i}]"
            out[sub] = item.start_mark.line + 1
            _line_map(item, sub, out)
    return out


def parse_text(text: str, path: str) -> Tuple[Optional[SourceDoc], List[KbError]]:
    """Parse one policy file's text. YAML syntax errors come back with their line."""
    if len(text) > sources.MAX_FILE_BYTES or len(text.encode("utf-8")) > sources.MAX_FILE_BYTES:
        return None, [KbError(path, 1, sources.too_large_message(), unreadable=True)]
    try:
        node, data = sources.load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        return None, [KbError(path, line, f"YAML 格式错误：{getattr(exc, 'problem', exc)}")]
    if not isinstance(data, dict):
        return None, [KbError(path, 1, "文件内容应为一条政策（键值对）")]
    return SourceDoc(path, data, _line_map(node)), []


def read_files(paths: Iterable[Path]) -> Tuple[List[SourceDoc], List[KbError]]:
    """Parse files from disk within the import limits (sources.py); a file that cannot be
    read becomes an `unreadable` error naming it, and the limits stop the whole run."""
    docs, errors = [], []
    budget = sources.Budget()
    for path in sorted(paths):
        try:
            text = sources.read_file(Path(path), budget)
        except sources.LimitExceeded as exc:
            return docs, errors + [KbError(str(path), 1, exc.detail, unreadable=True)]
        except sources.SourceError as exc:
            errors.append(KbError(str(path), 1, exc.detail, unreadable=True))
            continue
        doc, errs = parse_text(text, str(path))
        errors += errs
        if doc:
            docs.append(doc)
    return docs, errors


def policy_files(root: Path = POLICY_DIR) -> List[Path]:
    return sorted(root.glob("*/*.yml"))


def _as_date(value: Any) -> Optional[dt.date]:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def validate_doc(doc: SourceDoc, check_location: bool = True) -> List[KbError]:
    """Validate one policy document on its own (cross-file checks are in validate_docs)."""
    d, errors = doc.data, []

    def err(path: str, message: str) -> None:
        errors.append(KbError(doc.path, doc.line(path), message))

    # The editor's form builds documents without a file: the same size cap as for files.
    if len(json.dumps(d, ensure_ascii=False, default=str).encode("utf-8")) > sources.MAX_FILE_BYTES:
        return [KbError(doc.path, 1, f"政策内容超过 {sources.MAX_FILE_BYTES // 1024} KB（正常的政策只有几 KB）")]

    for key in REQUIRED:
        if key not in d or d[key] in (None, "", []) and key not in ("conditions",):
            err(key, f"缺少必填项：{field_title(key)}")
    for key in d:
        if key not in KNOWN_KEYS:
            err(key, f"不认识的项 {key}（是不是拼错了？）")
    pid = d.get("id")
    if pid is not None and (not isinstance(pid, str) or not ID_RE.match(pid)):
        err("id", f"政策 ID 只能用小写字母、数字和下划线，并以字母开头，收到 {pid!r}")
    family = d.get("family")
    if family is not None and family not in FAMILIES:
        err("family", f"未知类别 {family!r}；可用：{_choices(FAMILIES)}")
    if check_location and pid:
        path = Path(doc.path)
        if path.stem != pid:
            err("id", f"政策 ID {pid!r} 与文件名 {path.stem!r} 不一致")
        if family and path.parent.name != family:
            err("family", f"类别 {family!r} 与所在文件夹 {path.parent.name!r} 不一致")
    if d.get("status") not in STATUSES:
        err("status", f"状态应为 {_choices(STATUS_WORDS)}")
    docs_no = d.get("doc_numbers")
    if docs_no is not None:
        if not isinstance(docs_no, list) or not all(isinstance(x, str) and x.strip() for x in docs_no):
            err("doc_numbers", "文号应为列表，每行一个文号")
        else:
            seen = set()
            for i, number in enumerate(docs_no):
                if number in seen:
                    err(f"doc_numbers[{i}]", f"文号重复：{number}")
                seen.add(number)
    region = d.get("region")
    if region is not None:
        if not isinstance(region, dict) or region.get("scope") not in SCOPES:
            err("region", f"地区范围应为 {_choices(SCOPE_WORDS)}")
        else:
            needed = SCOPES[1:SCOPES.index(region["scope"]) + 1]
            for level in needed:
                if not region.get(level):
                    err("region", f"地区范围为{SCOPE_WORDS[region['scope']]}时需要填写{field_title('region.' + level)}")
            extra = set(region) - {"scope", "province", "city", "district"}
            if extra:
                err("region", f"适用地区中不认识的项：{'、'.join(sorted(map(str, extra)))}（可用：scope、province、city、district）")
    start, end = d.get("effective_from"), d.get("effective_to")
    if start is not None and _as_date(start) is None:
        err("effective_from", f"日期格式应为 YYYY-MM-DD，收到 {start!r}")
    if end is not None and _as_date(end) is None:
        err("effective_to", f"日期格式应为 YYYY-MM-DD 或 null，收到 {end!r}")
    if _as_date(start) and _as_date(end) and _as_date(end) < _as_date(start):
        err("effective_to", f"截止日期 {end} 早于开始日期 {start}")
    if not isinstance(d.get("continuation_unconfirmed", False), bool):
        err("continuation_unconfirmed", "“延续待确认”应为 true（是）或 false（否）")
    benefit = d.get("benefit")
    if benefit is not None:
        if not isinstance(benefit, dict) or not benefit.get("text"):
            err("benefit", "缺少“能得到什么”：一两句话说清楚能得到什么")
        elif not isinstance(benefit.get("local_standard", False), bool):
            err("benefit.local_standard", "“地方标准”应为 true（是）或 false（否）")
    apply = d.get("apply")
    if apply is not None:
        if not isinstance(apply, dict) or not apply.get("channel"):
            err("apply", "缺少“去哪办”：去哪里、怎么办")
        else:
            for key in ("steps", "materials"):
                if key in apply and not isinstance(apply[key], list):
                    err(f"apply.{key}", f"“{field_title('apply.' + key)}”应为列表，每行一项")
    for key in ("to_confirm", "exclusive_with", "keywords"):
        if key in d and d[key] is not None and not isinstance(d[key], list):
            err(key, f"“{field_title(key)}”应为列表，每行一项")
    faq = d.get("faq")
    if faq is not None and not isinstance(faq, list):
        err("faq", "“常见问答”应为列表")
    for i, item in enumerate(faq if isinstance(faq, list) else []):
        if not isinstance(item, dict) or not isinstance(item.get("ask"), list) or not item.get("answer"):
            err(f"faq[{i}]", "常见问答每一条要写 ask（问题里会出现的词，列表）和 answer（回答）")
    if "conditions" in d:
        for path, message in conditions.validate(d["conditions"]):
            err(path, message)
    return errors


def validate_docs(docs: List[SourceDoc], known_ids: Iterable[str] = ()) -> List[KbError]:
    """Per-document checks plus duplicates and references across documents."""
    errors: List[KbError] = []
    by_id: Dict[str, SourceDoc] = {}
    names: Dict[str, SourceDoc] = {}
    for doc in docs:
        errors += validate_doc(doc)
        pid = doc.data.get("id")
        if isinstance(pid, str):
            if pid in by_id:
                errors.append(KbError(doc.path, doc.line("id"), f"政策 ID 重复：{pid} 已在 {by_id[pid].path} 中使用"))
            by_id[pid] = doc
        name = doc.data.get("name")
        if isinstance(name, str):
            if name in names:
                errors.append(KbError(doc.path, doc.line("name"), f"政策名称重复：{name} 已在 {names[name].path} 中使用"))
            names[name] = doc
    return errors + validate_refs(docs, known_ids=set(by_id) | set(known_ids))


def validate_refs(docs: List[SourceDoc], known_ids: Iterable[str]) -> List[KbError]:
    """replaced_by / overlays / exclusive_with must name existing policies."""
    errors: List[KbError] = []
    ids = set(known_ids) | {d.data.get("id") for d in docs}
    for doc in docs:
        for key in ("replaced_by", "overlays"):
            ref = doc.data.get(key)
            if ref and ref not in ids:
                errors.append(KbError(doc.path, doc.line(key), f"“{field_title(key)}”指向不存在的政策 {ref!r}"))
        for i, ref in enumerate(doc.data.get("exclusive_with") or []):
            if ref not in ids:
                errors.append(KbError(doc.path, doc.line(f"exclusive_with[{i}]"),
                                      f"“{field_title('exclusive_with')}”指向不存在的政策 {ref!r}"))
    return errors


def normalize(data: Dict[str, Any]) -> Dict[str, Any]:
    """The canonical JSON form stored in the database (dates as ISO strings)."""
    out = {}
    for key, value in data.items():
        if isinstance(value, dt.date):
            value = value.isoformat()
        out[key] = value
    out.setdefault("effective_to", None)
    out.setdefault("continuation_unconfirmed", False)
    for key in ("to_confirm", "exclusive_with", "keywords"):
        out[key] = out.get(key) or []
    out.pop("version", None)
    out.pop("updated_by", None)
    return out
