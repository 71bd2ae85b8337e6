"""The knowledge-base workflow (policies_kb/workflow.py) on a real SQLite database, no server:
who may make what live, the one rollback rule, and what every step leaves in the audit log."""
from __future__ import annotations

import copy

import pytest

from policies_kb import loader, queries, workflow
from policies_kb.db import session_scope
from policies_kb.loader import SourceDoc
from policies_kb.models import Policy
from policies_kb.workflow import KbStateError, KbValidationError

PID = "vat_small_scale_1pct"


def live_version(url, pid=PID):
    with session_scope(url) as session:
        return session.get(Policy, pid).version


def kb_number(url):
    with session_scope(url) as session:
        return workflow.kb_version(session=session)[0]


def edit_and_publish(url, summary, pid=PID, author="author", reviewer="reviewer"):
    """An edit as the console makes it: draft → submit by the author → publish by a reviewer."""
    with session_scope(url) as session:
        data = copy.deepcopy(session.get(Policy, pid).data)
        data["summary"] = summary
        row = workflow.save_draft(session=session, data=data, actor=author, why=summary)
        session.flush()
        workflow.submit(session=session, policy_id=pid, version=row.version, actor=author)
        workflow.publish(session=session, policy_id=pid, version=row.version, actor=reviewer, why="已核对")
        return row.version


def rollback(url, to=None, pid=PID):
    with session_scope(url) as session:
        return workflow.rollback(session=session, policy_id=pid, actor="reviewer", why="撤回", to_version=to).version


# ---- the one rollback rule -----------------------------------------------------------------

def test_rollback_after_publish_rollback_publish_restores_what_was_live_before(kb_url):
    """publish v2, v3 → rollback → publish v4 → rollback: v2, never the withdrawn v3."""
    v1 = live_version(kb_url)
    v2 = edit_and_publish(kb_url, "第二版")
    v3 = edit_and_publish(kb_url, "第三版（有错）")
    assert rollback(kb_url) == v2
    v4 = edit_and_publish(kb_url, "第四版")
    assert (v1, v2, v3, v4) == (1, 2, 3, 4)
    with session_scope(kb_url) as session:
        assert workflow.rollback_target(session=session, policy_id=PID) == v2
    assert rollback(kb_url) == v2
    assert rollback(kb_url) == v1  # rolling back again goes further back, it does not redo v4
    with session_scope(kb_url) as session:
        assert workflow.rollback_target(session=session, policy_id=PID) is None
        with pytest.raises(KbStateError, match="没有更早的已发布版本"):
            workflow.rollback(session=session, policy_id=PID, actor="reviewer", why="再撤")


@pytest.mark.parametrize("events,stack", [
    ([("import", 1)], [1]),
    ([("import", 1), ("save_draft", 2), ("submit", 2), ("publish", 2)], [1, 2]),
    ([("import", 1), ("publish", 2), ("rollback", 1), ("publish", 4)], [1, 4]),
    ([("import", 1), ("publish", 2), ("publish", 3), ("rollback", 2)], [1, 2]),
    ([("import", 1), ("publish", 2), ("rollback", 1)], [1]),
    ([("import", 1), ("import", 3), ("rollback", 1), ("rollback", 3)], [1, 3]),  # "恢复为这一版" to a popped one
    ([("import", 1), ("propose_import", 2), ("reject", 2)], [1]),  # a proposal never was live
])
def test_live_stack(events, stack):
    assert workflow.live_stack(events) == stack


def test_rollback_to_a_chosen_version_and_what_is_refused(kb_url):
    edit_and_publish(kb_url, "第二版")
    edit_and_publish(kb_url, "第三版")
    assert rollback(kb_url, to=1) == 1
    with session_scope(kb_url) as session:
        assert workflow.rollback_target(session=session, policy_id=PID) is None  # 2 and 3 were rolled away
        data = copy.deepcopy(session.get(Policy, PID).data)
        draft = workflow.save_draft(session=session, data=dict(data, summary="草稿"), actor="author")
        session.flush()
        for to, message in ((1, "就是现行版本"), (draft.version, "从未发布过"), (99, "没有第 99 版")):
            with pytest.raises(KbStateError, match=message):
                workflow.rollback(session=session, policy_id=PID, actor="reviewer", to_version=to)
        with pytest.raises(KbStateError, match="没有政策"):
            workflow.rollback(session=session, policy_id="no_such_policy", actor="reviewer")


def test_rollback_is_immediate_audited_and_shown_to_other_admins(kb_url):
    edit_and_publish(kb_url, "第二版")
    before = kb_number(kb_url)
    rollback(kb_url)
    assert live_version(kb_url) == 1 and kb_number(kb_url) == before + 1  # the matcher reloads
    with session_scope(kb_url) as session:
        entry = queries.audit_log(session=session, policy_id=PID, limit=1)[0]
        assert (entry.actor, entry.action, entry.version, entry.why) == ("reviewer", "rollback", 1, "撤回")
        assert entry.detail == {"from_version": 2}
        shown = queries.recent_rollbacks(session=session)
        assert [(e["policy_id"], e["version"], e["actor"]) for e in shown] == [(PID, 1, "reviewer")]
        assert queries.policy_list(session=session, filters={})["rollbacks"] == shown


# ---- every admin path waits for a second admin -----------------------------------------------

def test_publish_needs_a_second_admin_and_a_version_in_review(kb_url):
    with session_scope(kb_url) as session:
        data = copy.deepcopy(session.get(Policy, PID).data)
        row = workflow.save_draft(session=session, data=dict(data, summary="改"), actor="author")
        session.flush()
        with pytest.raises(KbStateError, match="只有“待审核”的版本可以发布"):
            workflow.publish(session=session, policy_id=PID, version=row.version, actor="reviewer")
        workflow.submit(session=session, policy_id=PID, version=row.version, actor="author")
        with pytest.raises(KbStateError, match="不能审核发布自己提交的修改"):
            workflow.publish(session=session, policy_id=PID, version=row.version, actor="author")
        with pytest.raises(KbStateError, match="已发布过；要恢复它请用回滚"):
            workflow.publish(session=session, policy_id=PID, version=1, actor="reviewer")
    assert live_version(kb_url) == 1


def test_an_admin_import_waits_for_review_like_an_edit(kb_url):
    path = next(p for p in loader.policy_files() if p.stem == PID)
    text = path.read_text(encoding="utf-8").replace("\nname: ", "\nname: 【导入】", 1)
    doc, errors = loader.parse_text(text, f"tax_relief/{PID}.yml")
    new = SourceDoc("tax_relief/brand_new_import.yml", dict(copy.deepcopy(doc.data), id="brand_new_import",
                                                            name="导入的新政策"), {})
    before = kb_number(kb_url)
    with session_scope(kb_url) as session:
        report = workflow.propose_docs(session=session, docs=[doc, new], actor="author", why="新文件")
    assert report == {"created": ["brand_new_import"], "updated": [PID], "unchanged": []}
    assert kb_number(kb_url) == before and live_version(kb_url) == 1  # nothing live yet
    with session_scope(kb_url) as session:
        assert session.get(Policy, "brand_new_import") is None
        queue = queries.review_queue(session=session)
        assert {(i["policy_id"], i["version"], i["created_by"]) for i in queue} == {
            (PID, 2, "author"), ("brand_new_import", 1, "author")}
        assert queries.audit_log(session=session, action="propose_import", limit=5)[0].actor == "author"
        with pytest.raises(KbStateError, match="不能审核发布自己提交的修改"):
            workflow.publish(session=session, policy_id=PID, version=2, actor="author")
        workflow.publish(session=session, policy_id=PID, version=2, actor="reviewer", why="已核对")
        assert session.get(Policy, PID).name.startswith("【导入】")
        # The same file again: unchanged, nothing proposed.
        again = workflow.propose_docs(session=session, docs=[doc], actor="author", why="再导入")
        assert again == {"created": [], "updated": [], "unchanged": [PID]}


def test_a_broken_file_proposes_nothing(kb_url):
    doc, _ = loader.parse_text("id: broken\nname: 坏文件\n", "tax_relief/broken.yml")
    with session_scope(kb_url) as session, pytest.raises(KbValidationError) as caught:
        workflow.propose_docs(session=session, docs=[doc], actor="author", why="x")
    assert any("缺少必填项：发文机关" in e.message for e in caught.value.errors)
    with session_scope(kb_url) as session:
        assert queries.review_queue(session=session) == []


def test_the_deploy_path_is_live_at_once(kb_url, tmp_path):
    path = next(p for p in loader.policy_files() if p.stem == PID)
    changed = tmp_path / "tax_relief" / path.name
    changed.parent.mkdir()
    changed.write_text(path.read_text(encoding="utf-8").replace("\nname: ", "\nname: 【部署】", 1), encoding="utf-8")
    with session_scope(kb_url) as session:
        report = workflow.import_files(session=session, paths=[changed], actor="setup", why="make kb")
        assert report["updated"] == [PID]
        assert session.get(Policy, PID).name.startswith("【部署】")
        assert queries.audit_log(session=session, policy_id=PID, limit=1)[0].action == "import"
        assert workflow.rollback_target(session=session, policy_id=PID) == 1


def test_drafts_and_rejections_change_nothing_live(kb_url):
    before = kb_number(kb_url)
    with session_scope(kb_url) as session:
        data = copy.deepcopy(session.get(Policy, PID).data)
        row = workflow.save_draft(session=session, data=dict(data, summary="待退回"), actor="author", why="草稿")
        session.flush()
        with pytest.raises(KbStateError, match="只有“待审核”的版本可以退回"):
            workflow.reject(session=session, policy_id=PID, version=row.version, actor="reviewer", why="x")
        workflow.submit(session=session, policy_id=PID, version=row.version, actor="author")
        workflow.reject(session=session, policy_id=PID, version=row.version, actor="reviewer", why="不清楚")
        with pytest.raises(KbStateError, match="只有草稿可以提交审核"):
            workflow.submit(session=session, policy_id=PID, version=row.version, actor="author")
        with pytest.raises(KbValidationError):
            workflow.save_draft(session=session, data=dict(data, name=""), actor="author")
    assert kb_number(kb_url) == before and live_version(kb_url) == 1
