"""The shared JSONL reader: a record is finished exactly when its line parses whole, cut at any byte."""

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_rl.core.jsonl import append_jsonl, read_jsonl
from agent_rl.errors import UserError

records = st.lists(
    st.fixed_dictionaries(
        {"id": st.integers(0, 10**6), "text": st.text(max_size=12), "score": st.floats(-1, 1)}
    ),
    min_size=1,
    max_size=4,
)


def finished_within(lines: list[bytes], cut: int) -> int:
    """How many records lie wholly (newline or not) in the first `cut` bytes."""
    end, count = 0, 0
    for line in lines:
        if end + len(line) - 1 > cut:  # line includes its newline, which may be missing
            break
        end += len(line)
        count += 1
    return count


@settings(max_examples=10, deadline=None)
@given(rows=records, extra=st.text(min_size=1, max_size=6))
def test_cut_at_every_byte_keeps_each_whole_record_and_appends_after_it(rows, extra):
    """Non-ASCII text is written as is, so many cuts fall inside a multibyte character."""
    rows = [{**row, "text": row["text"] + extra + "é漢🃏"} for row in rows]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.jsonl"
        for row in rows:
            append_jsonl(path, row)
        data = path.read_bytes()
        lines = data.splitlines(keepends=True)
        for cut in range(len(data) + 1):
            path.write_bytes(data[:cut])
            whole = finished_within(lines, cut)
            assert read_jsonl(path) == rows[:whole], cut
            append_jsonl(path, {"id": -1})
            assert read_jsonl(path) == [*rows[:whole], {"id": -1}], cut
            assert path.read_bytes().endswith(b"\n") and all(
                json.loads(line) for line in path.read_bytes().splitlines()
            )


def test_a_last_record_missing_only_its_newline_is_finished(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\n{"b": 2}')
    assert read_jsonl(path) == [{"a": 1}, {"b": 2}]
    append_jsonl(path, {"c": 3})
    assert path.read_text() == '{"a": 1}\n{"b": 2}\n{"c": 3}\n'


def test_a_corrupt_middle_line_is_one_clear_error(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\nnot json\n{"b": 2}\n')
    with pytest.raises(UserError, match=r"x.jsonl line 2 is corrupt"):
        read_jsonl(path)


def test_a_line_nested_100k_deep_is_corrupt_not_a_crash(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text("[" * 100_000 + "]" * 100_000 + '\n{"b": 2}\n')
    with pytest.raises(UserError, match="line 1 is corrupt"):
        read_jsonl(path)
    path.write_text('{"b": 2}\n' + "[" * 100_000)
    assert read_jsonl(path) == [{"b": 2}]


def test_missing_file_reads_empty(tmp_path):
    assert read_jsonl(tmp_path / "none.jsonl") == []
