"""Round-trip YAML (policies_kb/roundtrip.py): the files' comments survive a merge of new values."""
from __future__ import annotations

import copy

import pytest

from policies_kb import loader, roundtrip

DOCS, _ = loader.read_files(loader.policy_files())


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: d.data["id"])
def test_an_unchanged_policy_is_its_file_byte_for_byte(doc):
    assert roundtrip.render(loader.normalize(doc.data)) == open(doc.path, encoding="utf-8").read()


def test_changed_values_are_merged_and_the_comments_kept():
    doc = next(d for d in DOCS if d.data["id"] == "startup_guaranteed_loan")
    data = copy.deepcopy(loader.normalize(doc.data))
    data["effective_to"] = "2027-12-31"
    data["keywords"].append("新关键词")
    del data["source_url"]
    text = roundtrip.render(data)
    assert text.startswith("# 创业担保贷款：个人借款和小微企业借款两条路径")
    assert "effective_to: 2027-12-31" in text  # a date, written as the files write it
    assert "source_url" not in text and "新关键词" in text
    parsed, errors = loader.parse_text(text, doc.path)
    assert not errors and loader.normalize(parsed.data) == data


def test_a_policy_without_a_file_is_written_plainly_and_never_with_aliases():
    doc = next(d for d in DOCS if d.data["id"] == "vat_small_scale_1pct")
    shared = ["同一个列表"]
    data = dict(copy.deepcopy(loader.normalize(doc.data)), id="made_in_the_console", keywords=shared, to_confirm=shared)
    text = roundtrip.render(data)
    parsed, errors = loader.parse_text(text, "x.yml")  # import refuses any anchor or alias
    assert not errors and loader.normalize(parsed.data) == loader.normalize(data)
    template = open(doc.path, encoding="utf-8").read()
    merged = roundtrip.render(dict(copy.deepcopy(loader.normalize(doc.data)), keywords=shared, to_confirm=shared),
                              template)
    assert loader.parse_text(merged, "y.yml")[1] == []  # no alias either when merged into a file
    assert roundtrip.render({}) == ""


@pytest.mark.parametrize("summary", ["第一行\n第二行", "a\n\nb  c\n", "  以空格开头", "以空格结尾  ", "x" * 300])
def test_new_text_in_a_folded_field_reads_back_the_same(summary):
    doc = next(d for d in DOCS if d.data["id"] == "startup_guaranteed_loan")
    data = dict(copy.deepcopy(loader.normalize(doc.data)), summary=summary)
    parsed, errors = loader.parse_text(roundtrip.render(data), doc.path)
    assert not errors and parsed.data["summary"] == summary
