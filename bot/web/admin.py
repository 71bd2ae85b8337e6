"""管理后台: keep the knowledge base current without a programmer, and see what owners ask.

Pages (admin role only, docs/admin.md): policy list → editor (form, condition tree, YAML) with
"试一试" → draft → review by a second admin → publish / reject; history with field changes and
one-click rollback; audit log; YAML import / export and `kb diff` (admin_import); demand
analytics (admin_analytics). Publishing bumps kb_meta.version, and the matcher reloads on the
next question: no restart.

Handlers parse, call and render: the rules are policies_kb.workflow, the questions
policies_kb.queries (run in the executor by auth.run_db); form handling is admin_editor.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any, Dict, Optional
from urllib.parse import urlencode

from sanic import Blueprint, response
from sanic.request import Request

from bot.web import admin_analytics, admin_import
from bot.web import admin_editor as editor
from bot.web.admin_common import BASE, common, in_session, why
from bot.web.auth import login_required, run_db
from bot.web.body import FORM_LIMIT, add_route as bounded_route
from bot.web.render import render
from policies_kb import conditions, queries, regression, sources, workflow
from policies_kb.db import session_scope
from policies_kb.profile import ProfileError
from policies_kb.workflow import KbStateError, KbValidationError

logger = logging.getLogger(__name__)

DONE = {
    "saved": "已保存为第 {v} 版草稿。改好后请“提交审核”。",
    "submitted": "第 {v} 版已提交审核，请另一位管理员审核发布。",
    "published": "第 {v} 版已发布，机器人从下一句话起按新内容回答。",
    "rejected": "第 {v} 版已退回，作者可以修改后重新提交。",
    "rolled_back": "已回滚到第 {v} 版，机器人从下一句话起按该版回答。其他管理员会在政策列表上看到这次回滚。",
}
ACTION_DONE = {"submit": "submitted", "publish": "published", "reject": "rejected", "rollback": "rolled_back"}
NEEDS_WHY = {"publish": "发布", "reject": "退回", "rollback": "回滚"}


def _done_message(request: Request) -> str:
    template, version = DONE.get(request.args.get("done", "")), request.args.get("v", "")
    return template.format(v=int(version)) if template and version.isdigit() else ""


def _int_arg(request: Request, key: str) -> Optional[int]:
    value = request.args.get(key) or ""
    return int(value) if value.isdigit() else None


def _not_found(request: Request, policy_id: str):
    return render(request, "error.html", status=404, title="没有这项政策", message=f"没有找到政策 {policy_id}。")


@login_required(role="admin")
async def admin_home(request: Request):
    return response.redirect(f"{BASE}/policies")


@login_required(role="admin")
async def policy_list(request: Request):
    keys = ("q", "family", "status", "region", "expiring", "unconfirmed")
    filters = {k: (request.args.get(k) or "").strip() for k in keys}
    data = await run_db(in_session, queries.policy_list, filters=filters)
    return render(request, "admin/policies.html", filters=filters, **data, **common())


# ---- editor --------------------------------------------------------------------------------

def _editor_context(state: Dict[str, Any], policy_id: Optional[str], data: Dict[str, Any], **extra: Any) -> Dict[str, Any]:
    context = {
        "policy_id": policy_id, "is_new": policy_id is None, "values": editor.form_values(data),
        "yaml_text": editor.to_yaml(data), "errors": {}, "cond_errors": {}, "schema": conditions.editor_schema(),
        "cases": regression.load_cases(policy_id or data.get("id") or ""), "try": None, "try_error": "",
        "profile_values": {}, "as_of": queries.today().isoformat(), "why": "", "mode": "form",
        "status_choices": common()["status_names"], "scope_choices": common()["scope_names"],
        "profile_fields": editor.profile_fields(), **state, **common(),
    }
    context.update(extra)
    return context


async def _state(policy_id: Optional[str], version: Optional[int] = None) -> Dict[str, Any]:
    return await run_db(in_session, queries.editor_state, policy_id=policy_id, version=version)


@login_required(role="admin")
async def edit_page(request: Request, policy_id: str):
    state = await _state(policy_id, _int_arg(request, "version"))
    if state["editing"] is None:
        return _not_found(request, policy_id)
    return render(request, "admin/edit.html", **_editor_context(state, policy_id, state["editing"]))


@login_required(role="admin")
async def new_page(request: Request):
    state = await _state(None)
    return render(request, "admin/edit.html", **_editor_context(state, None, editor.blank_policy()))


def _save(data: Dict[str, Any], actor: str, reason: str, submit: bool) -> int:
    with session_scope() as session:
        row = workflow.save_draft(session=session, data=data, actor=actor, why=reason)
        session.flush()
        if submit:
            workflow.submit(session=session, policy_id=row.policy_id, version=row.version, actor=actor, why=reason)
        return row.version


def _try(data: Dict[str, Any], published: Optional[Dict[str, Any]], form: Any):
    try:
        profile = editor.profile_from_form(form)
        as_of = dt.date.fromisoformat((form.get("p_as_of") or "").strip() or queries.today().isoformat())
        return regression.try_draft(data, published=published, profile=profile, as_of=as_of,
                                    cases=regression.load_cases(data["id"])), ""
    except ProfileError as exc:
        return None, f"画像填写有误：{exc.field} {exc.message}"
    except ValueError as exc:
        return None, f"日期格式应为 YYYY-MM-DD（{exc}）"


@login_required(role="admin")
async def edit_submit(request: Request, policy_id: Optional[str] = None):
    """One endpoint for the editor's buttons: save / submit / try, from the form or the YAML."""
    form, do = request.form, request.form.get("do") or "save"
    state = await _state(policy_id)
    if policy_id and state["live"] is None and not state["versions"]:
        return _not_found(request, policy_id)
    if do.startswith("yaml_"):
        draft, do = editor.draft_from_yaml(form.get("yaml_text") or ""), do[len("yaml_"):]
    else:
        draft = editor.draft_from_form(form, base=state["editing"])
    existing = set(state["all_ids"])
    editor.validate(draft, known_ids=existing | {draft.data.get("id")}, policy_id=policy_id,
                    new=policy_id is None, existing_ids=existing)
    reason = why(request)
    context = dict(errors=dict(draft.errors), cond_errors=editor.condition_errors(draft), why=reason, mode=draft.mode,
                   profile_values={k: form.getlist(k) for k in form if k.startswith("p_")},
                   as_of=form.get("p_as_of") or queries.today().isoformat())
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
        version = await run_db(_save, draft.data, request.ctx.user.username, reason, do == "submit")
    except (KbValidationError, KbStateError) as exc:
        page["errors"] = {"": [e.message for e in getattr(exc, "errors", [])] or [str(exc)]}
        return render(request, "admin/edit.html", status=400, **page)
    logger.info("admin: %s saved %s v%s (%s)", request.ctx.user.username, draft.data["id"], version, do)
    done = "submitted" if do == "submit" else "saved"
    return response.redirect(f"{BASE}/policies/{draft.data['id']}/history?done={done}&v={version}", status=303)


# ---- history, review, publish, rollback ----------------------------------------------------

async def _history_page(request: Request, policy_id: str, *, error: str = "", status: int = 200):
    data = await run_db(in_session, queries.history, policy_id=policy_id, a=_int_arg(request, "a"),
                        b=_int_arg(request, "b"))
    if data is None:
        return _not_found(request, policy_id)
    return render(request, "admin/history.html", status=status, error=error, done=_done_message(request),
                  **data, **common())


@login_required(role="admin")
async def history_page(request: Request, policy_id: str):
    return await _history_page(request, policy_id)


def _apply(action: str, policy_id: str, version: Optional[int], actor: str, reason: str) -> int:
    with session_scope() as session:
        if action == "rollback":
            return workflow.rollback(session=session, policy_id=policy_id, actor=actor, why=reason,
                                     to_version=version).version
        step = {"submit": workflow.submit, "publish": workflow.publish, "reject": workflow.reject}[action]
        return step(session=session, policy_id=policy_id, version=version, actor=actor, why=reason).version


async def _workflow(request: Request, action: str, policy_id: str, version: Optional[int]):
    reason = why(request)
    if action in NEEDS_WHY and not reason:
        return await _history_page(request, policy_id, status=400,
                                   error=f"请填写{NEEDS_WHY[action]}原因（“为什么”），它会记入审计日志。")
    try:
        done_version = await run_db(_apply, action, policy_id, version, request.ctx.user.username, reason)
    except KbStateError as exc:
        return await _history_page(request, policy_id, error=str(exc), status=409)
    logger.info("admin: %s %s %s v%s: %s", request.ctx.user.username, action, policy_id, done_version, reason)
    target = f"{BASE}/review" if request.form.get("back") == "review" else f"{BASE}/policies/{policy_id}/history"
    return response.redirect(f"{target}?{urlencode({'done': ACTION_DONE[action], 'v': done_version})}", status=303)


@login_required(role="admin")
async def version_action(request: Request, policy_id: str, version: int, action: str):
    if action not in ("submit", "publish", "reject"):
        return render(request, "error.html", status=404, title="没有这个操作", message=action)
    return await _workflow(request, action, policy_id, version)


@login_required(role="admin")
async def rollback(request: Request, policy_id: str):
    to = (request.form.get("to_version") or "").strip()
    return await _workflow(request, "rollback", policy_id, int(to) if to.isdigit() else None)


def _review() -> Dict[str, Any]:
    with session_scope() as session:
        return {"items": queries.review_queue(session=session), "rollbacks": queries.recent_rollbacks(session=session)}


@login_required(role="admin")
async def review_page(request: Request):
    data = await run_db(_review)
    return render(request, "admin/review.html", done=_done_message(request), **data, **common())


@login_required(role="admin")
async def audit_page(request: Request):
    filters = {k: (request.args.get(k) or "").strip() for k in ("policy", "actor", "action")}
    entries = await run_db(in_session, queries.audit_log, policy_id=filters["policy"], actor=filters["actor"],
                           action=filters["action"], limit=500)
    return render(request, "admin/audit.html", entries=[queries.audit_dict(e) for e in entries], filters=filters,
                  **common())


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
        (admin_import.import_page, "console/admin/import", ["GET"]),
        (admin_import.import_submit, "console/admin/import", ["POST"]),
        (admin_import.export_zip, "console/admin/export.zip", ["GET"]),
        (admin_analytics.analytics_page, "console/admin/analytics", ["GET"]),
        (admin_analytics.analytics_csv, "console/admin/analytics.csv", ["GET"]),
    ]
    for handler, uri, methods in routes:
        # Route names must be unique in the blueprint (the hotline module shares it).
        name = "admin_" + re.sub(r"\W+", "_", f"{methods[0]} {uri[len('console/admin'):]}").strip("_").lower()
        limit = sources.MAX_UPLOAD_BYTES if handler is admin_import.import_submit else FORM_LIMIT
        bounded_route(bp, handler, uri, methods=methods, name=name, limit=limit)
