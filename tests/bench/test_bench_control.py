"""`agent-rl bench control --quick` runs and reports its ratios."""

import argparse

from agent_rl.bench import control


def test_bench_control_quick_reports_speed_against_the_sgemm_limit():
    result = control.run(argparse.Namespace(quick=True, steps=2, compile=False))
    assert result["fql_default"] == {"batch": 256, "hidden": [512, 512, 512, 512], "flow_steps": 10}
    eager = result["fql_eager"]
    assert eager["updates_per_s"] > 0 and result["sgemm_gflop_per_s"] > 0
    assert eager["fraction_of_sgemm"] > 0 and eager["vs_reference_jax"] > 0
    assert result["single_thread"]["updates_per_s"] > 0
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
