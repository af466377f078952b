"""`agent-rl bench control`: FQL training speed at the paper's size, and how much of this CPU's matrix-multiply
throughput it achieves.

Both numbers come from the same run: FQL update steps (batch 256, (512,)*4 MLPs, 10 flow steps) with their
FLOPs counted by torch's FlopCounterMode, and a plain torch matmul of the same shapes (batch × 512 @ 512 × 512).
The ratio, achieved FLOP/s (best step) over matmul FLOP/s (best window), is what to compare across machines;
steps/s is the median step.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from agent_rl.control.fql import FQL, FQLConfig
from agent_rl.control.presets import CPU_PRESETS

OBS_DIM, ACTION_DIM = 28, 5  # cube-single


def _batch(batch_size: int) -> dict[str, torch.Tensor]:
    return {
        "observations": torch.randn(batch_size, OBS_DIM),
        "next_observations": torch.randn(batch_size, OBS_DIM),
        "actions": torch.rand(batch_size, ACTION_DIM) * 2 - 1,
        "rewards": -torch.rand(batch_size),
        "masks": torch.ones(batch_size),
    }


def _fql_speed(config: FQLConfig, steps: int) -> tuple[float, float, float]:
    """(median and best update steps per second, FLOPs per update step).

    Each step is timed alone: on a shared CPU the best step is the fair partner of the best matmul window.
    """
    agent, batch = FQL(OBS_DIM, ACTION_DIM, config), _batch(config.batch_size)
    agent.update(batch)  # warm-up
    with FlopCounterMode(display=False) as counter:
        agent.update(batch)
    times = []
    for _ in range(steps):
        started = time.perf_counter()
        agent.update(batch)
        times.append(time.perf_counter() - started)
    return 1.0 / statistics.median(times), 1.0 / min(times), float(counter.get_total_flops())


def _matmul_flops_per_s(rows: int, width: int, seconds: float, windows: int = 5) -> float:
    """Peak FLOP/s of the op an nn.Linear layer runs (x @ Wᵀ + b), best of a few short windows (the CPU is shared)."""
    x, weight, bias = torch.randn(rows, width), torch.randn(width, width), torch.randn(width)
    torch.nn.functional.linear(x, weight, bias)
    best = 0.0
    for _ in range(windows):
        done, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds / windows:
            torch.nn.functional.linear(x, weight, bias)
            done += 1
        best = max(best, done * 2 * rows * width * width / (time.perf_counter() - started))
    return best


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", type=int, default=20, help="timed FQL update steps")


def run(args: argparse.Namespace) -> dict:
    quick = getattr(args, "quick", False)
    steps = 2 if quick else getattr(args, "steps", 20)
    default = FQLConfig()
    seconds = 0.3 if quick else 2.0
    before = _matmul_flops_per_s(default.batch_size, default.actor_hidden[0], seconds)
    steps_per_s, best_steps_per_s, flops = _fql_speed(default, steps)
    matmul = max(before, _matmul_flops_per_s(default.batch_size, default.actor_hidden[0], seconds))
    cpu_steps_per_s, _, _ = _fql_speed(FQLConfig(**CPU_PRESETS["fql"]), steps * 5)
    achieved = best_steps_per_s * flops
    return {
        "threads": torch.get_num_threads(),
        "fql_default": {
            "batch": default.batch_size,
            "hidden": list(default.actor_hidden),
            "flow_steps": default.flow_steps,
        },
        "fql_steps_per_s": round(steps_per_s, 3),
        "fql_best_steps_per_s": round(best_steps_per_s, 3),
        "fql_gflop_per_step": round(flops / 1e9, 4),
        "fql_gflop_per_s": round(achieved / 1e9, 3),
        "matmul_gflop_per_s": round(matmul / 1e9, 3),
        "fql_fraction_of_matmul": round(achieved / matmul, 4),
        "fql_cpu_preset_steps_per_s": round(cpu_steps_per_s, 3),
        "cpu_preset_speedup": round(cpu_steps_per_s / steps_per_s, 2),
        "hours_for_1m_default_steps": round(1e6 / steps_per_s / 3600, 1),
    }
