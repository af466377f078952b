"""`agent-rl bench verified --quick`: fresh login vs saved states, and trace recording, side by side."""

import json

import pytest

from agent_rl.cli import main

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


def test_bench_verified_quick_reports_both_comparisons(tmp_path):
    assert main(["bench", "verified", "--quick", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "verified.json").read_text())
    login = result["login"]
    assert login["tasks"] == 4 and login["signed_in"] == {"saved": 4, "fresh": 4}
    median = login["median_reset_s"]
    assert login["fresh_vs_saved"] == pytest.approx(median["fresh"] / median["saved"], rel=0.05)
    trace = result["network_trace"]
    assert trace["all_scored_1"] is True and 0 < trace["har_bytes_per_episode"]["max"] < 1_000_000
    rates = trace["tasks_per_minute"]
    assert trace["trace_vs_none"] == pytest.approx(rates["with_trace"] / rates["without_trace"], rel=0.05)
