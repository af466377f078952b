import json

import pytest

from agent_rl.cli import main


def test_judge_bench_quick_writes_served_and_in_process_rates(tmp_path):
    out = tmp_path / "judge.json"
    assert main(["bench", "judge", "--quick", "--out", str(tmp_path)]) == 0
    result = json.loads(out.read_text())
    assert result["verdicts"] == 16
    assert result["served_verdicts_per_s"] > 0 and result["in_process_verdicts_per_s"] > 0
    ratio = result["served_verdicts_per_s"] / result["in_process_verdicts_per_s"]
    assert result["served_over_in_process"] == pytest.approx(ratio, rel=0.02)
