"""The gp-env benchmark in quick mode writes its figures through the `agent-rl bench` dispatcher."""

import json

from agent_rl.cli import main


def test_gp_env_bench_quick_writes_json(tmp_path):
    out = tmp_path / "gp-env.json"
    assert main(["bench", "gp-env", "--quick", "--out", str(tmp_path)]) == 0
    result = json.loads(out.read_text())
    assert result["benchmark"] == "gp-env" and result["quick"] is True
    for key in ("steps_per_s_text", "steps_per_s_vision", "naive_resolve_steps_per_s", "json_loads_per_s"):
        assert result[key] > 0, key
    assert result["meets_target"] == (
        result["steps_per_s_text"] >= result["target_steps_per_s_text"] == 20_000
    )
    assert result["speedup_vs_naive_resolve"] > 1  # the cached solver beats re-solving at every step
    assert result["steps_text"] >= 200 * 4 and result["cold_solve_hands"] == 715
    worst = max(max(times.values()) for times in result["hostile_step_s"].values())
    assert (
        result["hostile_worst_step_s"] == worst < 10
        and "cards regex 1 MB" in result["hostile_step_s"]["text"]
    )
