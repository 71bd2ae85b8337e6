"""What the admin pages and the CLI read (policies_kb/queries.py), on a real SQLite database."""
from __future__ import annotations

import copy
import io
import zipfile

from policies_kb import loader, queries, workflow
from policies_kb.db import session_scope
from policies_kb.models import Policy

PID = "startup_guaranteed_loan"


def draft(url, pid=PID, submit=False, **changes):
    with session_scope(url) as session:
        data = dict(copy.deepcopy(session.get(Policy, pid).data), **changes)
        row = workflow.save_draft(session=session, data=data, actor="author", why="改")
        session.flush()
        if submit:
            workflow.submit(session=session, policy_id=pid, version=row.version, actor="author")
        return row.version


def test_policy_list_filters_and_pending_versions(kb_url):
    version = draft(kb_url, submit=True, summary="待审核的摘要")
    with session_scope(kb_url) as session:
        everything = queries.policy_list(session=session, filters={})
        assert everything["total"] == len(loader.policy_files()) == len(everything["rows"])
        assert everything["review_count"] == 1 and everything["rollbacks"] == []
        pending = queries.policy_list(session=session, filters={"status": "pending"})["rows"]
        assert [(p["id"], p["pending"]["version"], p["pending"]["state_name"]) for p in pending] == [(PID, version, "待审核")]
        loans = queries.policy_list(session=session, filters={"q": "担保", "family": "guaranteed_loan"})["rows"]
        assert [p["id"] for p in loans] == [PID]
        assert queries.policy_list(session=session, filters={"expiring": "不是数字"})["rows"]  # ignored, not an error


def test_editor_state_carries_on_from_the_open_draft(kb_url):
    version = draft(kb_url, summary="草稿")
    with session_scope(kb_url) as session:
        state = queries.editor_state(session=session, policy_id=PID)
        assert (state["live_version"], state["editing_version"]) == (1, version)
        assert state["editing"]["summary"] == "草稿" and state["live"]["summary"] != "草稿"
        assert PID in state["all_ids"] and state["names"][PID] == state["live"]["name"]
        assert queries.editor_state(session=session, policy_id=PID, version=1)["editing_version"] == 1
        assert queries.editor_state(session=session, policy_id=None)["live"] is None


def test_history_compares_live_with_newest_in_words(kb_url):
    version = draft(kb_url, summary="新的摘要")
    with session_scope(kb_url) as session:
        page = queries.history(session=session, policy_id=PID)
        assert (page["a"], page["b"], page["live_version"], page["rollback_to"]) == (1, version, 1, None)
        assert [c["field"] for c in page["changes"]] == ["摘要"] and page["changes"][0]["after"] == ["新的摘要"]
        assert [e["action_name"] for e in page["audit"]][:1] == ["保存草稿"]
        assert queries.history(session=session, policy_id="no_such_policy") is None


def test_review_queue_has_changes_and_regression_cases(kb_url):
    stricter = {"all": [{"field": "entity_type", "op": "eq", "value": "小微企业", "label": "只给小微企业"}]}
    draft(kb_url, submit=True, conditions=stricter)
    with session_scope(kb_url) as session:
        [item] = queries.review_queue(session=session)
    assert item["policy_id"] == PID and not item["is_new"] and item["live_version"] == 1
    assert [c["field"] for c in item["changes"]] == ["申请条件"]
    assert "主体类型 为 小微企业（说明：只给小微企业）" in item["changes"][0]["added"]
    assert item["cases"]["changed"] >= 1 and item["cases"]["shown"]


def test_file_diff_and_export_keep_the_repository_files(kb_url, tmp_path):
    with session_scope(kb_url) as session:
        assert queries.file_diff(session=session)["in_sync"]
        written = queries.export(session=session, dest=tmp_path)
        body, version = queries.export_zip(session=session)
    assert len(written) == len(loader.policy_files()) and version == 1
    archive = zipfile.ZipFile(io.BytesIO(body))
    for path in loader.policy_files():
        name = f"{path.parent.name}/{path.name}"
        original = path.read_text(encoding="utf-8")
        assert (tmp_path / name).read_text(encoding="utf-8") == original == archive.read(name).decode("utf-8")


def test_export_after_an_edit_keeps_the_comments_and_reimports_unchanged(kb_url):
    version = draft(kb_url, submit=True, summary="新的摘要")
    with session_scope(kb_url) as session:
        workflow.publish(session=session, policy_id=PID, version=version, actor="reviewer", why="核对")
        text = queries.exported(session=session)[f"guaranteed_loan/{PID}.yml"]
        assert text.startswith("# 创业担保贷款：") and "\n  新的摘要\n" in text
        assert "effective_to: null            # 常设政策，无截止日期" in text
        doc, errors = loader.parse_text(text, f"guaranteed_loan/{PID}.yml")
        assert not errors
        report = workflow.propose_docs(session=session, docs=[doc], actor="author", why="导出再导入")
        assert report["unchanged"] == [PID]
