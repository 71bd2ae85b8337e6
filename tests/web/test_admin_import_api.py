"""The admin console over HTTP: import (reviewed like an edit), export with comments, kb diff,
and the demand analytics read from the bot's own tracker store."""
from __future__ import annotations

import io
import uuid
import zipfile

import pytest
import yaml

from policies_kb import loader, queries
from policies_kb.db import session_scope
from policies_kb.models import Policy
from tests.web.admin_helpers import POLICY, converse_until_listed, kb_version, restore_kb, say, understood_as

pytestmark = pytest.mark.integration

P = f"/console/admin/policies/{POLICY}"


# ---- import / export / diff --------------------------------------------------------------

def policy_file(policy_id=POLICY):
    return next(p for p in loader.policy_files() if p.stem == policy_id)


def test_import_of_a_broken_file_changes_nothing_and_names_the_line(author, session_kb_url):
    good = policy_file("vat_small_scale_1pct").read_text(encoding="utf-8").replace("减按 1%", "减按 1%（新）")
    broken = policy_file().read_text(encoding="utf-8").replace("effective_from: 2023-10-01", "effective_from: 十月一日")
    line = broken.splitlines().index("effective_from: 十月一日") + 1
    before = kb_version(session_kb_url)
    reply = author.post("/console/admin/import", {"why": "新文件"},
                        files=[("files", ("vat_small_scale_1pct.yml", good.encode())),
                               ("files", ("startup_guaranteed_loan.yml", broken.encode()))])
    assert reply.status_code == 400
    assert f"startup_guaranteed_loan.yml 第 {line} 行：日期格式应为 YYYY-MM-DD" in reply.text
    assert "没有导入任何内容" in reply.text
    assert kb_version(session_kb_url) == before  # the good file was not imported either


@pytest.mark.parametrize("files,message", [
    ([], "请选择要导入的 YAML 文件"),
    ([("files", ("notes.txt", b"hello"))], "只接受 .yml / .yaml 文件或 .zip 压缩包"),
    ([("files", ("bad.zip", b"not a zip"))], "无法读取压缩包"),
    ([("files", ("x.yml", b"id: [unclosed\n"))], "x.yml 第 2 行：YAML 格式错误"),
    ([("files", ("", b""))], "请选择要导入的 YAML 文件"),  # what a browser sends with no file chosen
])
def test_import_refusals(author, session_kb_url, files, message):
    before = kb_version(session_kb_url)
    reply = author.post("/console/admin/import", {"why": "测试"}, files=files or None)
    assert reply.status_code == 400 and message in reply.text
    assert kb_version(session_kb_url) == before


def test_import_needs_a_reason(author, session_kb_url):
    reply = author.post("/console/admin/import", {"why": ""},
                        files=[("files", ("vat_small_scale_1pct.yml", policy_file("vat_small_scale_1pct").read_bytes()))])
    assert reply.status_code == 400 and "请填写导入原因" in reply.text


def test_import_waits_for_a_second_admin_then_export_round_trips(console, author, reviewer, session_kb_url):
    pid = "vat_small_scale_1pct"
    with restore_kb(session_kb_url, pid):
        changed = policy_file(pid).read_text(encoding="utf-8").replace("\nname: 小规模纳税人增值税征收率 3% 减按 1%",
                                                                        "\nname: 小规模纳税人增值税征收率 3% 减按 1%（导入测试）")
        before = kb_version(session_kb_url)
        reply = author.post("/console/admin/import", {"why": "导入测试"},
                            files=[("files", (f"{pid}.yml", changed.encode()))])
        assert reply.status_code == 200 and f"修改：{pid}" in reply.text and "已提交审核" in reply.text
        assert kb_version(session_kb_url)[0] == before[0]  # not live: a second admin reviews it first
        with session_scope(session_kb_url) as session:
            [item] = [i for i in queries.review_queue(session=session) if i["policy_id"] == pid]
        version = item["version"]
        own = author.post(f"/console/admin/policies/{pid}/versions/{version}/publish", {"why": "自己发布"})
        assert own.status_code == 409 and "不能审核发布自己提交的修改" in own.text
        review = reviewer.get("/console/admin/review").text
        section = review[review.index(f'id="review-{pid}-{version}"'):]
        assert "政策名称" in section and "（导入测试）" in section and "回归用例" in section
        published = reviewer.post(f"/console/admin/policies/{pid}/versions/{version}/publish",
                                  {"why": "核对导入", "back": "review"})
        assert published.status_code == 303
        page = author.get("/console/admin/import").text
        assert "内容不同" in page and f">{pid}</a>" in page  # kb diff: DB now differs from the repo
        archive = zipfile.ZipFile(io.BytesIO(author.get("/console/admin/export.zip").content))
        text = archive.read(f"tax_relief/{pid}.yml").decode("utf-8")
        assert "（导入测试）" in yaml.safe_load(text)["name"]
        assert [line for line in text.splitlines() if line.startswith("#")] == \
            [line for line in changed.splitlines() if line.startswith("#")]  # the files' comments are kept
        with session_scope(session_kb_url) as session:
            live = {row.id: row for row in session.query(Policy).filter(Policy.status == "published")}
            assert sorted(archive.namelist()) == sorted(f"{row.family}/{row.id}.yml" for row in live.values())
        same = author.post("/console/admin/import", {"why": "再导入一次"},
                           files=[("files", ("export.zip", author.get("/console/admin/export.zip").content))])
        assert same.status_code == 200 and "修改 0 项" in same.text and "新政策 0 项" in same.text


def test_export_is_a_zip_of_family_folders(author):
    reply = author.get("/console/admin/export.zip")
    assert reply.headers["content-type"] == "application/zip"
    assert 'filename="policies-kb-v' in reply.headers["content-disposition"]
    names = zipfile.ZipFile(io.BytesIO(reply.content)).namelist()
    assert f"guaranteed_loan/{POLICY}.yml" in names and all(n.count("/") == 1 for n in names)


# ---- analytics ---------------------------------------------------------------------------

def test_analytics_reads_the_bots_own_tracker_store(console, author):
    sender = f"analytics-{uuid.uuid4().hex[:6]}"
    converse_until_listed(console, sender)
    say(console, sender, "转人工")
    page = author.get("/console/admin/analytics?days=7")
    assert page.status_code == 200 and 'id="analytics"' in page.text and "读取对话记录失败" not in page.text
    daily = author.get("/console/admin/analytics.csv?table=daily&days=7")
    assert daily.headers["content-type"].startswith("text/csv")
    rows = daily.content.decode("utf-8-sig").splitlines()
    assert rows[0] == "日期,消息数,咨询人数,没听懂次数,转人工次数"
    today = rows[-1].split(",")
    assert int(today[1]) >= 2 and int(today[4]) >= 1  # this owner: the question (answered at once) and 转人工
    families = author.get("/console/admin/analytics.csv?table=families&days=7").content.decode("utf-8-sig")
    assert "guaranteed_loan,创业担保贷款" in families
    assert author.get("/console/admin/analytics.csv?table=nope").status_code == 404


def test_questions_the_bot_could_not_answer_are_listed(console, author):
    sender = f"analytics-{uuid.uuid4().hex[:6]}"
    unanswered = []
    for text in ("qwerty asdf zxcv", "帮我订一张去北京的机票"):
        say(console, sender, text)
        if understood_as(console, sender) in ("nlu_fallback", "out_of_scope"):
            unanswered.append(text)
    assert unanswered, "the model understood both on-purpose nonsense messages"
    table = author.get("/console/admin/analytics.csv?table=unanswered&days=7").content.decode("utf-8-sig")
    for text in unanswered:
        assert text in table
