"""`agent-rl bench webeval --quick` runs the oracle through run_rollouts both ways and reports the ratio."""

import json

import pytest

from agent_rl.cli import main

pytestmark = pytest.mark.timeout(300)


def test_bench_webeval_quick_reports_both_step_modes(tmp_path):
    assert main(["bench", "webeval", "--quick", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "webeval.json").read_text())
    assert result["tasks"] == 4 and result["all_scored_1"] is True
    rates = result["tasks_per_minute"]
    assert rates["steps_in_turn"] > 0 and rates["steps_in_4_threads"] > 0
    ratio = rates["steps_in_4_threads"] / rates["steps_in_turn"]
    assert result["speedup_threaded_vs_in_turn"] == pytest.approx(ratio, rel=0.05)
