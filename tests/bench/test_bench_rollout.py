import json

from agent_rl.cli import main as cli_main


def test_rollout_bench_quick_reports_ratios_side_by_side(tmp_path):
    out = tmp_path / "rollout.json"
    assert cli_main(["bench", "rollout", "--quick", "--out", str(tmp_path)]) == 0
    result = json.loads(out.read_text())
    assert result["benchmark"] == "rollout" and result["quick"] is True
    counts = result["counts"]
    assert counts["runner_episodes"] == result["settings"]["episodes"] == 8
    assert counts["runner_rounds"] == 3 < counts["runner_turns"] == 24  # 2 attempts + the exhausted step
    assert counts["naive_generate_calls"] == 3 * counts["naive_episodes"]
    assert counts["raw_generated_tokens"] > 0
    for key in ("runner_vs_naive_episodes_per_s", "runner_vs_raw_tokens_per_s"):
        assert result[key] > 0 and result[f"wall_{key}"] > 0 and key in result["targets"]
    assert isinstance(result["meets_targets"], bool)
