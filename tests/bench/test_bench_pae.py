import json

import pytest

from agent_rl.cli import main


@pytest.mark.e2e
def test_pae_bench_quick_splits_one_iteration_by_stage(tmp_path):
    out = tmp_path / "pae.json"
    assert main(["bench", "pae", "--quick", "--out", str(tmp_path)]) == 0
    result = json.loads(out.read_text())
    assert list(result["stage_seconds"]) == ["propose", "rollout", "judge", "fbc"]
    assert sum(result["stage_share"].values()) == pytest.approx(1.0, abs=0.01)
    assert result["episodes"] == 1
    assert result["rollout_episodes_per_minute"] == pytest.approx(
        60 / result["stage_seconds"]["rollout"], rel=0.01
    )
