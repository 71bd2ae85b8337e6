"""Hostile policy sources (policies_kb/sources.py, loader.parse_text): zip bombs, member floods,
oversized files, YAML alias bombs, deep nesting, other encodings. Each is refused quickly,
with a Chinese message naming the file, after reading no more than the caps."""
from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zipfile

import pytest

from policies_kb import loader, sources

# 354 bytes: nine levels of nine aliases is 9**9 (387 million) strings once expanded.
ALIAS_BOMB = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{c}: &{c} [{','.join(['*' + p] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi")]) + "\n"


def make_zip(members) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def lie_about_sizes(data: bytes, size: int = 1024) -> bytes:
    """Rewrite every declared uncompressed size (local and central headers) to `size`."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = out.find(signature)
        while start != -1:
            out[start + offset:start + offset + 4] = struct.pack("<I", size)
            start = out.find(signature, start + 4)
    return bytes(out)


def policy_text(policy_id: str = "startup_guaranteed_loan") -> str:
    return next(p for p in loader.policy_files() if p.stem == policy_id).read_text(encoding="utf-8")


def test_a_real_export_fits_easily():
    upload = make_zip((f"{p.parent.name}/{p.name}", p.read_bytes()) for p in loader.policy_files())
    texts = sources.read_upload("export.zip", upload, sources.Budget())
    assert len(texts) == len(loader.policy_files()) and len(upload) < sources.MAX_UPLOAD_BYTES


def test_zip_expanding_past_the_total_cap_is_refused_quickly():
    member = b"#" * (sources.MAX_FILE_BYTES - 1)  # each member just under the file cap
    count = sources.MAX_TOTAL_BYTES // len(member) + 2
    upload = make_zip([(f"tax_relief/p{i}.yml", member) for i in range(count)])
    assert len(upload) < 200_000  # a small upload...
    started = time.monotonic()
    with pytest.raises(sources.LimitExceeded, match="合计不能超过 8 MB"):
        sources.read_upload("bomb.zip", upload, sources.Budget())
    assert time.monotonic() - started < 5  # ...refused after reading at most the cap


def test_member_declaring_a_small_size_is_still_cut_at_the_cap():
    upload = lie_about_sizes(make_zip([("tax_relief/big.yml", b"#" * (20 * 1024 * 1024))]))
    assert zipfile.ZipFile(io.BytesIO(upload)).infolist()[0].file_size == 1024  # the header lies
    tracemalloc.start()
    try:
        with pytest.raises(sources.SourceError, match="bomb.zip/tax_relief/big.yml"):
            sources.read_upload("bomb.zip", upload, sources.Budget())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024


def test_too_many_members_are_refused_before_inflating():
    upload = make_zip([(f"x/{i}.yml", b"a: 1\n") for i in range(sources.MAX_FILES + 1)])
    with pytest.raises(sources.LimitExceeded, match=f"最多导入 {sources.MAX_FILES} 个"):
        sources.read_upload("many.zip", upload, sources.Budget())


def test_oversized_policy_file_is_refused_with_its_name():
    big = policy_text() + "# padding\n" * 30_000
    with pytest.raises(sources.SourceError, match="startup_guaranteed_loan.yml：单个政策文件不能超过 256 KB"):
        sources.read_upload("startup_guaranteed_loan.yml", big.encode(), sources.Budget())
    doc, errors = loader.parse_text(big, "editor.yml")  # the editor's YAML tab goes through here
    assert doc is None and "不能超过 256 KB" in errors[0].message


def test_non_utf8_upload_names_the_file():
    with pytest.raises(sources.SourceError, match="gbk.yml：文件不是 UTF-8 编码"):
        sources.read_upload("gbk.yml", "name: 个体户\n".encode("gbk"), sources.Budget())


def test_alias_bomb_is_refused_without_expanding():
    assert len(ALIAS_BOMB.encode()) < 400
    tracemalloc.start()
    try:
        doc, errors = loader.parse_text(ALIAS_BOMB, "tax_relief/lol.yml")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert doc is None
    assert str(errors[0]) == ("tax_relief/lol.yml:1: YAML 格式错误：政策文件不允许使用 YAML 锚点和别名（& 和 *），"
                              "请把内容直接写出来")
    assert peak < 2 * 1024 * 1024


@pytest.mark.parametrize("text,line", [
    ("id: x\nname: &n 名称\n", 2),          # an anchor alone is refused too
    ("id: x\nkeywords: [a, b]\nother: *k\n", 3),
])
def test_anchors_and_aliases_are_refused_at_their_line(text, line):
    doc, errors = loader.parse_text(text, "p.yml")
    assert doc is None and errors[0].line == line and "锚点和别名" in errors[0].message


def test_deep_nesting_is_refused_not_a_recursion_error():
    doc, errors = loader.parse_text("a: " + "[" * 5000 + "]" * 5000 + "\n", "deep.yml")
    assert doc is None and f"嵌套超过 {sources.MAX_DEPTH} 层" in errors[0].message


def test_every_repo_policy_still_parses_with_its_lines():
    docs, errors = loader.read_files(loader.policy_files())
    assert not errors and len(docs) == len(loader.policy_files())
    assert all(doc.lines["conditions"] > 1 for doc in docs)


def test_an_oversized_document_from_the_editor_form_is_refused():
    import yaml

    data = yaml.safe_load(policy_text())
    data["summary"] = "很长的说明。" * 50_000
    errors = loader.validate_doc(loader.SourceDoc("（编辑器）", data, {}), check_location=False)
    assert [e.message for e in errors] == ["政策内容超过 256 KB（正常的政策只有几 KB）"]
