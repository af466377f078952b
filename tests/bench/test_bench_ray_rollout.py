import json

import pytest

from agent_rl.cli import main

pytest.importorskip("ray", reason="Ray is the optional 'ray' extra")


@pytest.mark.e2e
def test_ray_rollout_bench_quick_reports_both_rates(tmp_path):
    out = tmp_path / "ray-rollout.json"
    assert main(["bench", "ray-rollout", "--quick", "--out", str(tmp_path)]) == 0
    result = json.loads(out.read_text())
    assert result["episodes"] == 16
    ratio = result["ray_episodes_per_min"] / result["local_episodes_per_min"]
    assert result["ray_over_local"] == pytest.approx(ratio, rel=0.02)
