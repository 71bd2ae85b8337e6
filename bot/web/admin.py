"""管理后台: keep the knowledge base current without a programmer, and see what owners ask.

Pages (admin role only, docs/admin.md): policy list → editor (form, condition tree, YAML) with
"试一试" → draft → review by a second admin → publish / reject; history with diffs and
one-click rollback; audit log; YAML import / export and `kb diff`; demand analytics.
Publishing bumps kb_meta.version, and the matcher reloads on the next question: no restart.

Handlers stay thin: the database work is in the `_…` functions below (synchronous, one
transaction each, run in the executor by auth.run_db); form handling is in admin_editor.
"""
from __future__ import annotations

import datetime as dt
import io
import logging
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlencode

from sanic import Blueprint, response
from sanic.request import Request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from bot import settings
from bot.web import admin_editor as editor
from bot.web.auth import login_required, run_db
from bot.web.body import FORM_LIMIT, add_route as bounded_route
from bot.web.render import render
from policies_kb import analytics, loader, sources, store
from policies_kb.db import get_engine, session_scope
from policies_kb.models import Policy, PolicyVersion
from policies_kb.profile import ProfileError
from policies_kb.store import KbStateError, KbValidationError

logger = logging.getLogger(__name__)

BASE = "/console/admin"
STATUS_NAMES = {"draft": "草稿（不对外）", "published": "生效", "retired": "已废止"}
VERSION_STATES = {"draft": "草稿", "in_review": "待审核", "published": "现行", "superseded": "历史版本",
                  "rejected": "已退回"}
ACTION_NAMES = {"import": "导入", "save_draft": "保存草稿", "submit": "提交审核", "publish": "发布",
                "reject": "退回", "rollback": "回滚", "retire": "废止"}
SCOPE_NAMES = {"national": "全国", "province": "省级", "city": "市级", "district": "区县"}
DONE = {
    "saved": "已保存为第 {v} 版草稿。改好后请“提交审核”。",
    "submitted": "第 {v} 版已提交审核，请另一位管理员审核发布。",
    "published": "第 {v} 版已发布，机器人从下一句话起按新内容回答。",
    "rejected": "第 {v} 版已退回，作者可以修改后重新提交。",
    "rolled_back": "已回滚到第 {v} 版，机器人从下一句话起按该版回答。",
}


def _common() -> Dict[str, Any]:
    return {"families": loader.FAMILIES, "status_names": STATUS_NAMES, "state_names": VERSION_STATES,
            "action_names": ACTION_NAMES, "scope_names": SCOPE_NAMES, "base": BASE}


def _today() -> dt.date:
    return settings.local_today()


def _bj(value: Optional[dt.datetime]) -> str:
    """A stored UTC time as 北京时间 text."""
    if not value:
        return ""
    return settings.local_time(value)


def _version_dict(row: PolicyVersion) -> Dict[str, Any]:
    return {"policy_id": row.policy_id, "version": row.version, "state": row.state,
            "state_name": VERSION_STATES.get(row.state, row.state), "name": (row.data or {}).get("name", ""),
            "created_at": _bj(row.created_at), "created_by": row.created_by, "note": row.note,
            "reviewed_by": row.reviewed_by, "data": row.data}


def _policy_dict(row: Policy, today: dt.date) -> Dict[str, Any]:
    days_left = (row.effective_to - today).days if row.effective_to else None
    place = "".join(p for p in (row.province, row.city, row.district) if p) or "全国"
    return {"id": row.id, "name": row.name, "family": row.family, "status": row.status,
            "region": place, "scope": row.region_scope, "effective_from": row.effective_from,
            "effective_to": row.effective_to, "days_left": days_left,
            "continuation_unconfirmed": row.continuation_unconfirmed, "version": row.version,
            "updated_at": _bj(row.updated_at), "updated_by": row.updated_by, "data": row.data}


def _done_message(request: Request) -> str:
    template, version = DONE.get(request.args.get("done", "")), request.args.get("v", "")
    return template.format(v=int(version)) if template and version.isdigit() else ""


def _why(request: Request) -> str:
    return (request.form.get("why") or "").strip()


# ---- policy list ---------------------------------------------------------------------------

def _list(filters: Dict[str, str]) -> Dict[str, Any]:
    today = _today()
    with session_scope() as session:
        live = [_policy_dict(row, today) for row in session.scalars(select(Policy).order_by(Policy.family, Policy.id))]
        open_versions = [_version_dict(v) for v in session.scalars(
            select(PolicyVersion).where(PolicyVersion.state.in_(("draft", "in_review")))
            .order_by(PolicyVersion.policy_id, PolicyVersion.version.desc()))]
    live_ids = {p["id"]: p for p in live}
    pending: Dict[str, Dict[str, Any]] = {}
    for v in open_versions:  # newest open version per policy, if newer than the live one
        if v["policy_id"] not in pending and v["version"] > (live_ids.get(v["policy_id"]) or {}).get("version", 0):
            pending[v["policy_id"]] = v
    query = filters.get("q", "").lower()
    region = filters.get("region", "")
    try:
        expiring = int(filters.get("expiring") or 0)
    except ValueError:
        expiring = 0
    rows = []
    for p in live:
        text = " ".join([p["id"], p["name"], " ".join(p["data"].get("doc_numbers") or []),
                         " ".join(p["data"].get("keywords") or []), p["data"].get("summary", "")]).lower()
        if query and query not in text:
            continue
        if filters.get("family") and p["family"] != filters["family"]:
            continue
        status = filters.get("status")
        if status == "pending" and p["id"] not in pending or status in STATUS_NAMES and p["status"] != status:
            continue
        if region and region not in p["region"]:
            continue
        if expiring and not (p["days_left"] is not None and 0 <= p["days_left"] <= expiring):
            continue
        if filters.get("unconfirmed") and not p["continuation_unconfirmed"]:
            continue
        rows.append({**p, "pending": pending.get(p["id"])})
    new_drafts = [v for pid, v in pending.items() if pid not in live_ids]
    return {"rows": rows, "total": len(live), "new_drafts": new_drafts,
            "review_count": sum(v["state"] == "in_review" for v in pending.values())}


@login_required(role="admin")
async def policy_list(request: Request):
    keys = ("q", "family", "status", "region", "expiring", "unconfirmed")
    filters = {k: (request.args.get(k) or "").strip() for k in keys}
    data = await run_db(_list, filters)
    return render(request, "admin/policies.html", filters=filters, **data, **_common())


@login_required(role="admin")
async def admin_home(request: Request):
    return response.redirect(f"{BASE}/policies")


# ---- editor --------------------------------------------------------------------------------

def _editor_state(policy_id: Optional[str], version: Optional[int]) -> Dict[str, Any]:
    """The live document, the version to edit (default: newest open draft, else live),
    every known policy id (for references) and the versions list."""
    with session_scope() as session:
        live = session.get(Policy, policy_id) if policy_id else None
        versions = store.versions(session=session, policy_id=policy_id) if policy_id else []
        ids = sorted(set(session.scalars(select(Policy.id))) | set(session.scalars(select(PolicyVersion.policy_id))))
        names = {row.id: row.name for row in session.scalars(select(Policy))}
        live_data = dict(live.data) if live else None
        live_version = live.version if live else None
        chosen = None
        if version is not None:
            chosen = next((v for v in versions if v.version == version), None)
        elif versions and (live is None or versions[0].version > live.version) and versions[0].state in ("draft", "in_review"):
            chosen = versions[0]  # carry on from the open draft rather than beside it
        elif live is None and versions:
            chosen = versions[0]
        version_rows = [_version_dict(v) for v in versions]
        editing = dict(chosen.data) if chosen else live_data
        editing_version = chosen.version if chosen else live_version
    return {"live": live_data, "live_version": live_version, "editing": editing, "editing_version": editing_version,
            "versions": version_rows, "all_ids": ids, "names": names}


def _editor_context(state: Dict[str, Any], policy_id: Optional[str], data: Dict[str, Any], **extra: Any) -> Dict[str, Any]:
    cases = editor.load_cases(policy_id or data.get("id") or "")
    context = {
        "policy_id": policy_id, "is_new": policy_id is None, "values": editor.form_values(data),
        "yaml_text": editor.to_yaml(data), "errors": {}, "cond_errors": {}, "schema": editor.editor_schema(),
        "cases": cases, "try": None, "try_error": "", "profile_values": {}, "as_of": _today().isoformat(),
        "why": "", "mode": "form", "status_choices": STATUS_NAMES, "scope_choices": SCOPE_NAMES,
        "profile_fields": _profile_fields(), **state, **_common(),
    }
    context.update(extra)
    return context


def _profile_fields() -> List[Dict[str, Any]]:
    from policies_kb import profile as profile_mod
    fields = []
    for name, spec in profile_mod.schema()["properties"].items():
        if name == "region":
            for sub, sub_spec in spec["properties"].items():
                fields.append({"name": f"region_{sub}", "title": sub_spec["title"], "type": "string", "vocab": []})
            continue
        fields.append({"name": name, "title": spec["title"], "type": spec["type"],
                       "format": spec.get("format", ""), "vocab": profile_mod.vocabulary(name) or []})
    return fields


@login_required(role="admin")
async def edit_page(request: Request, policy_id: str):
    version = request.args.get("version")
    state = await run_db(_editor_state, policy_id, int(version) if version and version.isdigit() else None)
    if state["editing"] is None:
        return render(request, "error.html", status=404, title="没有这项政策", message=f"没有找到政策 {policy_id}。")
    return render(request, "admin/edit.html", **_editor_context(state, policy_id, state["editing"]))


@login_required(role="admin")
async def new_page(request: Request):
    state = await run_db(_editor_state, None, None)
    return render(request, "admin/edit.html", **_editor_context(state, None, editor.blank_policy()))


def _save(data: Dict[str, Any], actor: str, why: str, submit: bool) -> int:
    with session_scope() as session:
        row = store.save_draft(session=session, data=data, actor=actor, why=why)
        session.flush()
        if submit:
            store.submit(session=session, policy_id=row.policy_id, version=row.version, actor=actor, why=why)
        return row.version


def _try(data: Dict[str, Any], published: Optional[Dict[str, Any]], form: Any) -> Tuple[Optional[Dict[str, Any]], str]:
    try:
        profile = editor.profile_from_form(form)
        as_of = dt.date.fromisoformat((form.get("p_as_of") or "").strip() or _today().isoformat())
        return editor.try_draft(data, published=published, profile=profile, as_of=as_of,
                                cases=editor.load_cases(data["id"])), ""
    except ProfileError as exc:
        return None, f"画像填写有误：{exc.field} {exc.message}"
    except ValueError as exc:
        return None, f"日期格式应为 YYYY-MM-DD（{exc}）"


@login_required(role="admin")
async def edit_submit(request: Request, policy_id: Optional[str] = None):
    """One endpoint for the editor's buttons: save / submit / try, from the form or the YAML."""
    form, do = request.form, request.form.get("do") or "save"
    state = await run_db(_editor_state, policy_id, None)
    if policy_id and state["live"] is None and not state["versions"]:
        return render(request, "error.html", status=404, title="没有这项政策", message=f"没有找到政策 {policy_id}。")
    if do.startswith("yaml_"):
        draft, do = editor.draft_from_yaml(form.get("yaml_text") or ""), do[len("yaml_"):]
    else:
        draft = editor.draft_from_form(form, base=state["editing"])
    existing = set(state["all_ids"])
    editor.validate(draft, known_ids=existing | {draft.data.get("id")}, policy_id=policy_id,
                    new=policy_id is None, existing_ids=existing)
    why = _why(request)
    context = dict(errors=dict(draft.errors), cond_errors=editor.condition_errors(draft), why=why, mode=draft.mode,
                   profile_values={k: form.getlist(k) for k in form if k.startswith("p_")},
                   as_of=form.get("p_as_of") or _today().isoformat())
    # The form shows the submitted document, except a YAML one that did not validate (its
    # values may not even have the right types); the YAML tab keeps what was typed.
    shown = draft.data if draft.mode == "form" or draft.ok else (state["editing"] or editor.blank_policy())
    page = {**_editor_context(state, policy_id, shown), **context}
    if draft.mode == "yaml":
        page["yaml_text"] = draft.yaml_text
    if not draft.ok:
        return render(request, "admin/edit.html", status=400, **page)
    if do == "try":
        page["try"], page["try_error"] = await run_db(_try, draft.data, state["live"], form)
        return render(request, "admin/edit.html", **page)
    try:
        version = await run_db(_save, draft.data, request.ctx.user.username, why, do == "submit")
    except (KbValidationError, KbStateError) as exc:
        page["errors"] = {"": [e.message for e in getattr(exc, "errors", [])] or [str(exc)]}
        return render(request, "admin/edit.html", status=400, **page)
    logger.info("admin: %s saved %s v%s (%s)", request.ctx.user.username, draft.data["id"], version, do)
    done = "submitted" if do == "submit" else "saved"
    return response.redirect(f"{BASE}/policies/{draft.data['id']}/history?done={done}&v={version}", status=303)


# ---- history, review, publish, rollback ----------------------------------------------------

def _history(policy_id: str, a: Optional[int], b: Optional[int]) -> Optional[Dict[str, Any]]:
    with session_scope() as session:
        versions = [_version_dict(v) for v in store.versions(session=session, policy_id=policy_id)]
        if not versions:
            return None
        live = session.get(Policy, policy_id)
        audit = [{"at": _bj(e.at), "actor": e.actor, "action": ACTION_NAMES.get(e.action, e.action), "version": e.version,
                  "why": e.why, "detail": e.detail} for e in store.audit_log(session=session, policy_id=policy_id)]
        live_version = live.version if live else None
        rollback_to = _rollback_target(session, policy_id) if live else None
    by_version = {v["version"]: v for v in versions}
    if a is None or b is None or a not in by_version or b not in by_version:
        newest = versions[0]["version"]
        b = newest
        a = live_version if live_version and live_version != newest else (versions[1]["version"] if len(versions) > 1 else newest)
    diff = editor.diff_lines(by_version[a]["data"], by_version[b]["data"], f"第 {a} 版", f"第 {b} 版")
    return {"policy_id": policy_id, "versions": versions, "audit": audit, "live_version": live_version,
            "name": (by_version.get(live_version) or versions[0])["name"], "a": a, "b": b, "diff": diff,
            "rollback_to": rollback_to}


def _rollback_target(session, policy_id: str) -> Optional[int]:
    """The previously live version (from the audit trail), for one-click rollback."""
    entries = store.audit_log(session=session, policy_id=policy_id, limit=10_000)
    return editor.rollback_target((e.action, e.version) for e in reversed(entries))


def _int_arg(request: Request, key: str) -> Optional[int]:
    value = request.args.get(key) or ""
    return int(value) if value.isdigit() else None


async def _history_page(request: Request, policy_id: str, *, error: str = "", status: int = 200):
    data = await run_db(_history, policy_id, _int_arg(request, "a"), _int_arg(request, "b"))
    if data is None:
        return render(request, "error.html", status=404, title="没有这项政策", message=f"没有找到政策 {policy_id}。")
    return render(request, "admin/history.html", status=status, error=error, done=_done_message(request),
                  **data, **_common())


@login_required(role="admin")
async def history_page(request: Request, policy_id: str):
    return await _history_page(request, policy_id)


def _apply(action: str, policy_id: str, version: Optional[int], actor: str, why: str) -> int:
    with session_scope() as session:
        if action == "submit":
            return store.submit(session=session, policy_id=policy_id, version=version, actor=actor, why=why).version
        if action == "publish":
            return store.publish(session=session, policy_id=policy_id, version=version, actor=actor, why=why,
                                 require_review=True).version
        if action == "reject":
            return store.reject(session=session, policy_id=policy_id, version=version, actor=actor, why=why).version
        if action == "rollback":
            return store.rollback(session=session, policy_id=policy_id, actor=actor, why=why,
                                  to_version=version or _rollback_target(session, policy_id)).version
    raise ValueError(action)


async def _workflow(request: Request, action: str, policy_id: str, version: Optional[int]):
    why = _why(request)
    back = request.form.get("back") or ""
    if action in ("publish", "reject", "rollback") and not why:
        reason = {"publish": "发布", "reject": "退回", "rollback": "回滚"}[action]
        return await _history_page(request, policy_id, status=400,
                                   error=f"请填写{reason}原因（“为什么”），它会记入审计日志。")
    try:
        done_version = await run_db(_apply, action, policy_id, version, request.ctx.user.username, why)
    except KbStateError as exc:
        return await _history_page(request, policy_id, error=str(exc), status=409)
    logger.info("admin: %s %s %s v%s: %s", request.ctx.user.username, action, policy_id, done_version, why)
    done = {"submit": "submitted", "publish": "published", "reject": "rejected", "rollback": "rolled_back"}[action]
    target = f"{BASE}/review" if back == "review" else f"{BASE}/policies/{policy_id}/history"
    return response.redirect(f"{target}?{urlencode({'done': done, 'v': done_version})}", status=303)


@login_required(role="admin")
async def version_action(request: Request, policy_id: str, version: int, action: str):
    if action not in ("submit", "publish", "reject"):
        return render(request, "error.html", status=404, title="没有这个操作", message=action)
    return await _workflow(request, action, policy_id, version)


@login_required(role="admin")
async def rollback(request: Request, policy_id: str):
    to = (request.form.get("to_version") or "").strip()
    return await _workflow(request, "rollback", policy_id, int(to) if to.isdigit() else None)


def _review_queue() -> List[Dict[str, Any]]:
    with session_scope() as session:
        rows = list(session.scalars(select(PolicyVersion).where(PolicyVersion.state == "in_review")
                                    .order_by(PolicyVersion.created_at)))
        items = []
        for row in rows:
            live = session.get(Policy, row.policy_id)
            item = _version_dict(row)
            item["is_new"] = live is None
            item["live_version"] = live.version if live else None
            item["diff"] = editor.diff_lines(live.data if live else None, row.data,
                                             f"现行第 {live.version} 版" if live else "（新政策）", f"待审核第 {row.version} 版")
            items.append(item)
    return items


@login_required(role="admin")
async def review_page(request: Request):
    items = await run_db(_review_queue)
    return render(request, "admin/review.html", items=items, done=_done_message(request), **_common())


def _audit(policy_id: str, actor: str, action: str) -> List[Dict[str, Any]]:
    with session_scope() as session:
        entries = store.audit_log(session=session, policy_id=policy_id or None, limit=500)
        return [{"at": _bj(e.at), "actor": e.actor, "action": e.action, "action_name": ACTION_NAMES.get(e.action, e.action),
                 "policy_id": e.policy_id, "version": e.version, "why": e.why, "detail": e.detail}
                for e in entries if (not actor or e.actor == actor) and (not action or e.action == action)]


@login_required(role="admin")
async def audit_page(request: Request):
    filters = {k: (request.args.get(k) or "").strip() for k in ("policy", "actor", "action")}
    entries = await run_db(_audit, filters["policy"], filters["actor"], filters["action"])
    return render(request, "admin/audit.html", entries=entries, filters=filters, **_common())


# ---- import / export / diff ----------------------------------------------------------------

def _uploaded_texts(request: Request) -> Tuple[List[Tuple[str, str]], List[str]]:
    """(name, text) of every uploaded .yml, including those inside an uploaded .zip, read
    within the import limits (policies_kb.sources); a limit stops reading at once."""
    texts, problems = [], []
    budget = sources.Budget()
    for upload in request.files.getlist("files") or []:
        if not upload.name and not upload.body:  # the browser's part for "no file chosen"
            continue
        try:
            texts += sources.read_upload(Path(upload.name or "未命名").name, upload.body, budget)
        except sources.LimitExceeded as exc:
            return [], problems + [exc.message]
        except sources.SourceError as exc:
            problems.append(exc.message)
    return texts, problems


def _import(texts: List[Tuple[str, str]], actor: str, why: str) -> Tuple[Optional[Dict[str, List[str]]], List[str]]:
    docs, parse_errors, names = [], [], {}
    for name, text in texts:
        doc, errors = loader.parse_text(text, name)
        parse_errors += errors
        if doc is None:
            continue
        family = doc.data.get("family")
        if "/" not in name and isinstance(family, str):
            # A bare file upload has no folder; the repo layout <family>/<id>.yml is implied.
            doc.path = f"{family}/{name}"
            names[doc.path] = name
        docs.append(doc)
    try:
        with session_scope() as session:
            return store.import_docs(session=session, docs=docs, actor=actor, why=why, parse_errors=parse_errors), []
    except KbValidationError as exc:
        return None, editor.error_lines(exc.errors, names)


def _kb_diff() -> Dict[str, Any]:
    with session_scope() as session:
        result = store.diff(session=session)
        version, updated_at = store.kb_version(session=session)
    return {**result, "kb_version": version, "kb_updated_at": updated_at}


@login_required(role="admin")
async def import_page(request: Request):
    diff = await run_db(_kb_diff)
    return render(request, "admin/import.html", diff=diff, report=None, errors=[], why="", **_common())


@login_required(role="admin")
async def import_submit(request: Request):
    why = _why(request)
    texts, problems = _uploaded_texts(request)
    if not texts and not problems:
        problems = ["请选择要导入的 YAML 文件"]
    if not why:
        problems.append("请填写导入原因（例如：2025 年新文件发布）")
    report, errors = (None, problems) if problems else await run_db(_import, texts, request.ctx.user.username, why)
    diff = await run_db(_kb_diff)
    if errors:
        logger.info("admin: %s import refused: %d errors", request.ctx.user.username, len(errors))
    return render(request, "admin/import.html", status=400 if errors else 200, diff=diff, report=report,
                  errors=errors, why=why, **_common())


def _export_zip() -> Tuple[bytes, int]:
    with tempfile.TemporaryDirectory(prefix="zct-export-") as tmp, session_scope() as session:
        paths = store.export(session=session, dest=Path(tmp))
        version, _ = store.kb_version(session=session)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in paths:
                archive.write(path, path.relative_to(tmp).as_posix())
    return buffer.getvalue(), version


@login_required(role="admin")
async def export_zip(request: Request):
    body, version = await run_db(_export_zip)
    name = f"policies-kb-v{version}-{_today():%Y%m%d}.zip"
    return response.raw(body, content_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


# ---- demand analytics ----------------------------------------------------------------------

def tracker_engine(app: Any):
    """The SQL engine of the Rasa server's tracker store (unwrapping Rasa's wrappers), else one
    for TRACKER_DB_URL; None when conversations are not kept in SQL."""
    store_ = getattr(getattr(app.ctx, "agent", None), "tracker_store", None)
    while store_ is not None and not hasattr(store_, "engine"):
        store_ = getattr(store_, "_tracker_store", None)
    if store_ is not None:
        return store_.engine
    url = os.environ.get("TRACKER_DB_URL")
    return get_engine(url) if url else None


def _analytics(engine, days: int) -> Dict[str, Any]:
    today = _today()
    since = dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time(), analytics.BEIJING)
    events = analytics.load_events(engine, since)
    with session_scope() as session:
        policies = [dict(row.data, status=row.status) for row in session.scalars(select(Policy))]
    return analytics.build_report(events, policies=policies, today=today, days=days)


def _days(request: Request) -> int:
    value = request.args.get("days") or "30"
    return min(max(int(value), 1), 366) if value.isdigit() else 30


async def _report(request: Request) -> Tuple[Optional[Dict[str, Any]], str]:
    engine = tracker_engine(request.app)
    if engine is None:
        return None, "对话记录没有存入 SQL 数据库（endpoints.yml 的 tracker_store），暂时无法统计。"
    try:
        return await run_db(_analytics, engine, _days(request)), ""
    except SQLAlchemyError:  # the page still opens and says why the figures are missing
        logger.exception("admin analytics: reading the tracker store failed")
        return None, "读取对话记录失败，详情见服务器日志。"


@login_required(role="admin")
async def analytics_page(request: Request):
    report, problem = await _report(request)
    chart_lib = (Path(__file__).with_name("static") / "vendor" / "chart.umd.js").exists()
    return render(request, "admin/analytics.html", report=report, problem=problem, days=_days(request),
                  chart_lib=chart_lib, tables=analytics.CSV_TABLES, **_common())


@login_required(role="admin")
async def analytics_csv(request: Request):
    table = request.args.get("table") or "daily"
    if table not in analytics.CSV_TABLES:
        return render(request, "error.html", status=404, title="没有这张表", message=f"可导出：{'、'.join(analytics.CSV_TABLES)}")
    report, problem = await _report(request)
    if report is None:
        return render(request, "error.html", status=503, title="暂时无法统计", message=problem)
    name = f"{table}-{report['since']}-{report['until']}.csv"
    return response.raw(analytics.to_csv(report, table).encode("utf-8"), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def add_routes(bp: Blueprint) -> None:
    routes = [
        (admin_home, "console/admin", ["GET"]),
        (policy_list, "console/admin/policies", ["GET"]),
        (new_page, "console/admin/new-policy", ["GET"]),
        (edit_submit, "console/admin/new-policy", ["POST"]),
        (edit_page, "console/admin/policies/<policy_id>", ["GET"]),
        (edit_submit, "console/admin/policies/<policy_id>", ["POST"]),
        (history_page, "console/admin/policies/<policy_id>/history", ["GET"]),
        (version_action, "console/admin/policies/<policy_id>/versions/<version:int>/<action>", ["POST"]),
        (rollback, "console/admin/policies/<policy_id>/rollback", ["POST"]),
        (review_page, "console/admin/review", ["GET"]),
        (audit_page, "console/admin/audit", ["GET"]),
        (import_page, "console/admin/import", ["GET"]),
        (import_submit, "console/admin/import", ["POST"]),
        (export_zip, "console/admin/export.zip", ["GET"]),
        (analytics_page, "console/admin/analytics", ["GET"]),
        (analytics_csv, "console/admin/analytics.csv", ["GET"]),
    ]
    for handler, uri, methods in routes:
        # Route names must be unique in the blueprint (the hotline module shares it).
        name = "admin_" + re.sub(r"\W+", "_", f"{methods[0]} {uri[len('console/admin'):]}").strip("_").lower()
        limit = sources.MAX_UPLOAD_BYTES if handler is import_submit else FORM_LIMIT
        bounded_route(bp, handler, uri, methods=methods, name=name, limit=limit)
