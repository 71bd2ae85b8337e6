"""`python -m bot kb …` and `python -m bot match …` as an admin runs them."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from policies_kb import loader

ROOT = Path(__file__).resolve().parents[2]


def run(*args, env_url, cwd=ROOT):
    import os
    env = dict(os.environ, DATABASE_URL=env_url, RASA_TELEMETRY_ENABLED="false")
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True)


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path / 'kb.db'}"


@pytest.fixture
def policy_copy(tmp_path):
    dest = tmp_path / "policies"
    shutil.copytree(loader.POLICY_DIR, dest)
    return dest


def test_validate_repo_files_pass(db):
    out = run("kb", "validate", env_url=db)
    assert out.returncode == 0, out.stderr
    assert "全部通过校验" in out.stdout


def test_validate_reports_file_and_line(db, policy_copy):
    path = policy_copy / "tax_relief" / "vat_small_scale_1pct.yml"
    lines = path.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("effective_to:"))
    lines[index] = "effective_to: 2020-01-01"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = run("kb", "validate", str(policy_copy), env_url=db)
    assert out.returncode == 1
    assert f"vat_small_scale_1pct.yml:{index + 1}:" in out.stderr
    assert "早于开始日期" in out.stderr


def test_broken_file_imports_nothing(db, policy_copy):
    bad = policy_copy / "tax_relief" / "broken.yml"
    bad.write_text("id: broken\nname: [unclosed\n", encoding="utf-8")
    out = run("kb", "import", str(policy_copy), env_url=db)
    assert out.returncode == 1
    assert "broken.yml:" in out.stderr and "没有任何改动" in out.stderr
    diff = run("kb", "diff", "--json", "--root", str(loader.POLICY_DIR), env_url=db)
    assert json.loads(diff.stdout)["only_in_db"] == []
    assert len(json.loads(diff.stdout)["only_in_files"]) == len(loader.policy_files())


def test_duplicate_ids_and_unknown_vocabulary_are_caught(db, policy_copy):
    src = policy_copy / "tax_relief" / "vat_small_scale_1pct.yml"
    text = src.read_text(encoding="utf-8")
    (policy_copy / "tax_relief" / "copy.yml").write_text(text, encoding="utf-8")
    src.write_text(text.replace("小规模纳税人", "小小纳税人", 1) if "value: 小规模纳税人" in text
                   else text.replace("taxpayer_type", "taxpayer_kind", 1), encoding="utf-8")
    out = run("kb", "validate", str(policy_copy), env_url=db)
    assert out.returncode == 1
    assert "政策 ID 重复" in out.stderr
    assert "与文件名" in out.stderr


def test_import_export_diff_publish_rollback_round_trip(db, tmp_path, policy_copy):
    assert run("kb", "import", env_url=db).returncode == 0
    assert run("kb", "diff", env_url=db).returncode == 0
    exported = tmp_path / "exported"
    assert run("kb", "export", str(exported), env_url=db).returncode == 0
    assert run("kb", "diff", "--root", str(exported), env_url=db).returncode == 0
    # A changed file becomes version 2; rollback brings version 1 back.
    path = policy_copy / "tax_relief" / "six_taxes_two_fees_half.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("name:", "name: 【改】", 1), encoding="utf-8")
    assert run("kb", "import", str(path), env_url=db).returncode == 0
    changed = json.loads(run("kb", "diff", "--json", env_url=db).stdout)["changed"]
    assert changed == {"six_taxes_two_fees_half": ["name"]}
    out = run("kb", "rollback", "six_taxes_two_fees_half", "--why", "测试", env_url=db)
    assert out.returncode == 0 and "已回滚到第 1 版" in out.stdout
    assert run("kb", "diff", env_url=db).returncode == 0
    # Publishing approves a version waiting for review; an earlier one comes back by rollback.
    refused = run("kb", "publish", "six_taxes_two_fees_half", "2", env_url=db)
    assert refused.returncode == 1 and "kb rollback --to 2" in refused.stderr
    assert run("kb", "rollback", "six_taxes_two_fees_half", "--to", "2", "--why", "恢复", env_url=db).returncode == 0
    history = run("kb", "history", "six_taxes_two_fees_half", env_url=db).stdout
    assert "v2\tpublished" in history and "v1\tsuperseded" in history
    assert run("kb", "rollback", "no_such_policy", env_url=db).returncode == 1


def test_kb_rollback_follows_the_consoles_rule(db, tmp_path):
    """Deploy v2, v3 → rollback → deploy v4 → rollback: v2 (what was live before v4), never the
    withdrawn v3 — the same rule as the console's one-click rollback (test_admin_api)."""
    pid = "six_taxes_two_fees_half"
    source = next(p for p in loader.policy_files() if p.stem == pid)
    assert run("kb", "import", env_url=db).returncode == 0

    def deploy(mark):
        path = tmp_path / mark / "tax_relief" / source.name
        path.parent.mkdir(parents=True)
        path.write_text(source.read_text(encoding="utf-8").replace("name:", f"name: 【{mark}】", 1), encoding="utf-8")
        assert run("kb", "import", str(path), "--why", mark, env_url=db).returncode == 0

    deploy("v2")
    deploy("v3")
    assert "已回滚到第 2 版" in run("kb", "rollback", pid, "--why", "v3 有错", env_url=db).stdout
    deploy("v4")
    assert "一键回滚（kb rollback 不带 --to）将恢复第 2 版" in run("kb", "history", pid, env_url=db).stdout
    assert "已回滚到第 2 版" in run("kb", "rollback", pid, "--why", "v4 也撤", env_url=db).stdout
    assert "已回滚到第 1 版" in run("kb", "rollback", pid, "--why", "再撤", env_url=db).stdout
    out = run("kb", "rollback", pid, "--why", "没有了", env_url=db)
    assert out.returncode == 1 and "没有更早的已发布版本" in out.stderr


def test_export_keeps_the_files_comments(db, tmp_path):
    assert run("kb", "import", env_url=db).returncode == 0
    assert run("kb", "export", str(tmp_path / "out"), env_url=db).returncode == 0
    for path in loader.policy_files():
        exported = tmp_path / "out" / path.parent.name / path.name
        assert exported.read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), path.name


def test_match_cli_json_and_errors(db, tmp_path):
    assert run("kb", "import", env_url=db).returncode == 0
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"entity_type": "个体工商户", "identities": ["退役军人"]}, ensure_ascii=False))
    out = run("match", "--profile", str(profile), "--as-of", "2026-06-01", "--json", env_url=db)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) >= {"as_of", "kb_version", "results", "next_question"}
    loan = next(r for r in data["results"] if r["policy_id"] == "startup_guaranteed_loan")
    assert loan["status"] == "eligible" and loan["reasons"] and loan["missing"] == []
    profile.write_text(json.dumps({"industry": "挖矿"}, ensure_ascii=False))
    out = run("match", "--profile", str(profile), "--json", env_url=db)
    assert out.returncode == 2
    assert json.loads(out.stdout)["field"] == "industry"
    assert run("match", "--profile", str(profile), "--as-of", "昨天", env_url=db).returncode == 2
    profile.write_text("{not json")
    assert run("match", "--profile", str(profile), env_url=db).returncode == 2


# ---- hostile input files -------------------------------------------------------------------

def test_match_cli_names_a_file_that_is_not_utf8(db, tmp_path):
    profile = tmp_path / "画像-gbk.json"
    profile.write_bytes(json.dumps({"entity_type": "个体工商户"}, ensure_ascii=False).encode("gbk"))
    out = run("match", "--profile", str(profile), env_url=db)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert f"画像文件 {profile} 不是 UTF-8 编码" in out.stderr


def kb_version(db_url):
    from policies_kb import workflow
    from policies_kb.db import migrate, session_scope

    migrate(db_url)
    with session_scope(db_url) as session:
        return workflow.kb_version(session=session)[0]


@pytest.mark.parametrize("name,content,code,message", [
    ("gbk.yml", "id: gbk\nname: 个体户补贴\n".encode("gbk"), 2, "gbk.yml:1: 文件不是 UTF-8 编码"),
    ("huge.yml", b"# x\n" * (70 * 1024), 2, "huge.yml:1: 单个政策文件不能超过 256 KB"),
    ("lol.yml", b'a: &a ["lol","lol"]\nb: [*a,*a]\n', 1, "lol.yml:1: YAML 格式错误：政策文件不允许使用 YAML 锚点和别名"),
], ids=["not-utf8", "over-256KB", "alias-bomb"])  # short ids: pytest puts the id in the environment
def test_kb_import_refuses_hostile_files_and_imports_nothing(db, policy_copy, name, content, code, message):
    (policy_copy / "tax_relief" / name).write_bytes(content)
    out = run("kb", "import", str(policy_copy), env_url=db)
    assert out.returncode == code and "Traceback" not in out.stderr
    assert message in out.stderr and "数据库没有任何改动" in out.stderr
    assert kb_version(db) == 0  # the 30 good files were not imported either
    assert run("kb", "validate", str(policy_copy), env_url=db).returncode == code


def test_kb_import_stops_at_the_file_count_cap(db, tmp_path):
    from policies_kb import sources

    folder = tmp_path / "flood" / "tax_relief"
    folder.mkdir(parents=True)
    for i in range(sources.MAX_FILES + 1):
        (folder / f"p{i:04d}.yml").write_text("id: x\n", encoding="utf-8")
    out = run("kb", "import", str(tmp_path / "flood"), env_url=db)
    assert out.returncode == 2 and f"一次最多导入 {sources.MAX_FILES} 个文件" in out.stderr
    assert kb_version(db) == 0


def test_validate_explains_a_bad_faq_entry(db, policy_copy):
    path = policy_copy / "tax_relief" / "vat_small_scale_1pct.yml"
    path.write_text(path.read_text(encoding="utf-8") + "faq:\n  - ask: 利息\n", encoding="utf-8")
    out = run("kb", "validate", str(policy_copy), env_url=db)
    assert out.returncode == 1
    assert "vat_small_scale_1pct.yml:" in out.stderr and "常见问答每一条要写 ask" in out.stderr
