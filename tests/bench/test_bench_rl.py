import json

import pytest

pytestmark = pytest.mark.e2e


def test_bench_rl_quick_reports_split_and_ratio(tmp_path):
    from agent_rl.cli import main

    out = tmp_path / "rl.json"
    argv = [
        "bench",
        "rl",
        "--quick",
        "--out",
        str(tmp_path),
        "--hands",
        "2",
        "--group",
        "2",
        "--max-new-tokens",
        "16",
    ]
    assert main(argv) == 0
    result = json.loads(out.read_text())
    split = result["multi_turn_iteration"]
    for key in ("rollout_s", "logprob_s", "update_s", "tokens_per_s"):
        assert split[key] >= 0
    assert split["rollout_fraction"] + split["logprob_fraction"] + split["update_fraction"] == pytest.approx(
        1, abs=0.01
    )
    assert result["single_turn"]["trl_grpo_updates_per_s"] > 0
    assert result["ratio_ours_over_trl_updates_per_s"] > 0
