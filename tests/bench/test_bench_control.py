"""`agent-rl bench control --quick` runs and reports its ratios."""

import argparse

import pytest

from agent_rl.bench import control


def test_bench_control_quick_reports_speed_against_the_sgemm_limit():
    result = control.run(argparse.Namespace(quick=True, steps=2, compile=False, parity_data=None))
    assert result["fql_default"] == {"batch": 256, "hidden": [512, 512, 512, 512], "flow_steps": 10}
    for variant in ("eager_float32", "eager_bf16"):
        row = result[f"fql_{variant}"]
        assert row["updates_per_s"] > 0 and row["vs_reference_jax"] > 0
        assert row["fraction_of_sgemm"] > 0 and row["fraction_of_bf16_gemm"] > 0
        assert result["single_thread"][f"fql_{variant}"]["updates_per_s"] > 0
    assert result["sgemm_gflop_per_s"] > 0 and result["bf16_gemm_gflop_per_s"] > 0
    for profile in result["eager_profile_ms_per_update"].values():
        assert profile["ops_ms"]["matmul"] > 0 and profile["phases_ms"]["backward"] > 0
        assert profile["phases_ms"]["euler_flow"] < profile["phases_ms"]["forward"]  # the flow runs inside it
    assert set(result["goal_agents_single_thread_updates_per_s"]) == {
        "GCBC",
        "GCIVL",
        "GCIQL",
        "QRL",
        "CRL",
        "HIQL",
        "SHARSA",
        "DoubleSHARSA",
    }
    # FLOPs of one update at the default size: about 12 GFLOP (forward + backward of every MLP it runs)
    assert 8 < result["gflop_per_update"] < 16


@pytest.mark.e2e
def test_precision_parity_trains_float32_beside_bf16_on_the_same_batches(tmp_path):
    from envs.control.generate import GenConfig, generate

    train, _ = generate(
        GenConfig("cube-single-play-v0", episodes=10, episode_steps=20), tmp_path, progress=False
    )
    result = control.precision_parity(train, steps=6, window=3)
    assert [row["step"] for row in result["curves"]["float32"]] == [3, 6]
    assert [row["step"] for row in result["curves"]["bf16"]] == [3, 6]
    assert result["config"]["alpha"] == 300.0  # cube-single's α from the task table
    assert result["curves"]["float32"] != result["curves"]["bf16"]  # the same batches, different arithmetic
    assert set(result["max_gap_over_range"]) == set(control.PARITY_METRICS)


def test_a_missing_parity_dataset_is_a_clear_error_before_any_timing(tmp_path):
    from agent_rl.errors import UserError

    args = argparse.Namespace(quick=True, steps=2, compile=False, parity_data=tmp_path / "none.npz")
    with pytest.raises(UserError, match="no such file"):
        control.run(args)
