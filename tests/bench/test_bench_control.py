"""`agent-rl bench control --quick` runs and reports its ratios."""

import argparse

from agent_rl.bench import control


def test_bench_control_quick_reports_speed_and_matmul_fraction():
    result = control.run(argparse.Namespace(quick=True, steps=2))
    expected = {
        "threads",
        "fql_default",
        "fql_steps_per_s",
        "fql_best_steps_per_s",
        "fql_gflop_per_step",
        "fql_gflop_per_s",
        "matmul_gflop_per_s",
        "fql_fraction_of_matmul",
        "fql_cpu_preset_steps_per_s",
        "cpu_preset_speedup",
        "hours_for_1m_default_steps",
    }
    assert expected <= set(result)
    assert result["fql_default"] == {"batch": 256, "hidden": [512, 512, 512, 512], "flow_steps": 10}
    assert result["fql_steps_per_s"] > 0 and result["matmul_gflop_per_s"] > 0
    # FLOPs of one update at the default size: about 12 GFLOP (forward + backward of every MLP it runs)
    assert 8 < result["fql_gflop_per_step"] < 16
    assert result["fql_fraction_of_matmul"] > 0
