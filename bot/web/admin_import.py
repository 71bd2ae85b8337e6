"""管理后台：导入 / 导出 / kb diff.

An import from the console follows the editor's rule (policies_kb.workflow.propose_docs): each
changed file becomes a version waiting for a second admin. Export keeps the files' comments.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from sanic import response
from sanic.request import Request

from bot.web import admin_editor as editor
from bot.web.admin_common import common, in_session, why
from bot.web.auth import login_required, run_db
from bot.web.render import render
from policies_kb import loader, queries, sources, workflow
from policies_kb.db import session_scope
from policies_kb.workflow import KbValidationError

logger = logging.getLogger(__name__)


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


def _propose(texts: List[Tuple[str, str]], actor: str, reason: str) -> Tuple[Optional[Dict[str, List[str]]], List[str]]:
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
            return workflow.propose_docs(session=session, docs=docs, actor=actor, why=reason,
                                         parse_errors=parse_errors), []
    except KbValidationError as exc:
        return None, editor.error_lines(exc.errors, names)


@login_required(role="admin")
async def import_page(request: Request):
    diff = await run_db(in_session, queries.file_diff)
    return render(request, "admin/import.html", diff=diff, report=None, errors=[], why="", **common())


@login_required(role="admin")
async def import_submit(request: Request):
    reason = why(request)
    texts, problems = _uploaded_texts(request)
    if not texts and not problems:
        problems = ["请选择要导入的 YAML 文件"]
    if not reason:
        problems.append("请填写导入原因（例如：2025 年新文件发布）")
    report, errors = (None, problems) if problems else await run_db(_propose, texts, request.ctx.user.username, reason)
    diff = await run_db(in_session, queries.file_diff)
    if errors:
        logger.info("admin: %s import refused: %d errors", request.ctx.user.username, len(errors))
    elif report:
        logger.info("admin: %s proposed an import for review: %s", request.ctx.user.username,
                    report["created"] + report["updated"])
    return render(request, "admin/import.html", status=400 if errors else 200, diff=diff, report=report,
                  errors=errors, why=reason, **common())


@login_required(role="admin")
async def export_zip(request: Request):
    body, version = await run_db(in_session, queries.export_zip)
    name = f"policies-kb-v{version}-{queries.today():%Y%m%d}.zip"
    return response.raw(body, content_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
