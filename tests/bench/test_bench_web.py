"""`agent-rl bench web --quick` runs on the bundled sites and reports latencies and throughput ratios."""

import json

import pytest

from agent_rl.cli import main

pytestmark = pytest.mark.timeout(300)


def test_bench_web_quick_reports_latency_and_throughput(tmp_path):
    out = tmp_path / "web.json"
    assert main(["bench", "web", "--quick", "--out", str(tmp_path)]) == 0
    result = json.loads(out.read_text())
    full = result["latency_s"]["full_observation"]
    assert full["n"] >= 6 and 0 < full["median"] <= full["p95"]
    assert result["latency_s"]["tree_only"]["n"] >= 3
    assert result["speedup_vs_pae_sleep"] == pytest.approx(10.0 / full["median"], rel=0.05)
    assert isinstance(result["meets_target"], bool)
    assert set(result["episodes_per_minute"]) == {"1", "2"} and all(
        v > 0 for v in result["episodes_per_minute"].values()
    )
    assert result["parallel_speedup_vs_1"]["1"] == 1.0
    assert result["pae_sleep_bound_episodes_per_minute_per_browser"] > 0
