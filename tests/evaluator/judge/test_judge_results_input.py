"""The judge's input, `results.jsonl` folders, is read by the shared JSONL reader."""

import pytest

from agent_rl.errors import UserError
from evaluator.judge.cli import episodes_from_results


def test_a_torn_last_line_is_skipped(tmp_path):
    (tmp_path / "results.jsonl").write_text('{"task_id": 0, "success": true}\n{"task_id": 1, "succ')
    assert [row["task_id"] for row, _ in episodes_from_results([tmp_path])] == [0]


def test_a_garbage_line_is_one_clear_error(tmp_path):
    (tmp_path / "results.jsonl").write_text('garbage\n{"task_id": 0, "success": true}\n')
    with pytest.raises(UserError, match="results.jsonl line 1 is corrupt"):
        episodes_from_results([tmp_path])


def test_an_empty_results_file_is_refused_not_scored(tmp_path):
    (tmp_path / "results.jsonl").write_text("")
    with pytest.raises(UserError, match="no finished episodes"):
        episodes_from_results([tmp_path])
