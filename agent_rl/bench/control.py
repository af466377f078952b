"""`agent-rl bench control`: FQL update speed at the reference's default size against this machine's
matrix-multiply limit, side by side in one run.

- The limit is the best large sgemm (2048³ float32, all cores) over a few short windows.
- Ours: FQL updates at batch 256, (512,)*4 MLPs, 10 flow steps, cube-single shapes (obs 28, action 5), eager and
  (with `--compile`) through torch.compile; FLOPs per update counted by torch's FlopCounterMode.
- The authors' JAX reference ran 24 updates/s on this machine kind (issue 14's side-by-side measurement; JAX is
  not installed here, so it is quoted, not rerun).
Also: each goal-conditioned agent's updates/s at its reference defaults (OGBench's six: batch 1024, (512,)*3;
SHARSA and double SHARSA: batch 1024, (1024,)*4), the CPU preset's updates/s, and single-thread speed with its
own sgemm limit. On a CPU shared with other jobs one thread is much faster than two: each of an update's
hundreds of small parallel ops waits for the second thread to be scheduled.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch
from torch.profiler import ProfilerActivity, profile
from torch.utils.flop_counter import FlopCounterMode

from agent_rl.control.crl import CRL
from agent_rl.control.double_sharsa import DoubleSHARSA
from agent_rl.control.fql import FQL, FQLConfig
from agent_rl.control.gcbc import GCBC
from agent_rl.control.gciql import GCIQL
from agent_rl.control.gcivl import GCIVL
from agent_rl.control.hiql import HIQL
from agent_rl.control.presets import CPU_PRESETS
from agent_rl.control.qrl import QRL
from agent_rl.control.sharsa import SHARSA
from agent_rl.core.bounds import Count
from agent_rl.core.cli_args import arg_type
from agent_rl.core.gc_buffer import GoalBuffer

OBS_DIM, ACTION_DIM = 28, 5  # cube-single
REFERENCE_JAX_UPDATES_PER_S = 24.0
GOAL_AGENTS = (GCBC, GCIVL, GCIQL, QRL, CRL, HIQL, SHARSA, DoubleSHARSA)


def _batch(batch_size: int) -> dict[str, torch.Tensor]:
    return {
        "observations": torch.randn(batch_size, OBS_DIM),
        "next_observations": torch.randn(batch_size, OBS_DIM),
        "actions": torch.rand(batch_size, ACTION_DIM) * 2 - 1,
        "rewards": -torch.rand(batch_size),
        "masks": torch.ones(batch_size),
    }


def fql_speed(config: FQLConfig, steps: int, compile: bool = False) -> dict[str, float]:
    """Median and best updates/s (each update timed alone: on a shared CPU the best is the fair one) and FLOPs."""
    agent, batch = FQL(OBS_DIM, ACTION_DIM, config), _batch(config.batch_size)
    if compile:
        agent.compile()
    started = time.perf_counter()
    for _ in range(3):  # warm-up (and compilation)
        agent.update(batch)
    warmup = time.perf_counter() - started
    with FlopCounterMode(display=False) as counter:
        FQL(OBS_DIM, ACTION_DIM, config).update(batch)
    times = []
    for _ in range(steps):
        started = time.perf_counter()
        agent.update(batch)
        times.append(time.perf_counter() - started)
    return {
        "updates_per_s": 1.0 / statistics.median(times),
        "best_updates_per_s": 1.0 / min(times),
        "flops": float(counter.get_total_flops()),
        "warmup_s": warmup,
    }


OP_GROUPS = {  # the profiler's op names, by what they do
    "matmul": ("aten::addmm", "aten::mm", "aten::bmm", "aten::baddbmm"),
    "gelu": ("aten::gelu", "aten::gelu_backward"),
    "layer_norm": ("aten::native_layer_norm", "aten::native_layer_norm_backward"),
    "adam": ("aten::_fused_adam_",),
    "polyak": ("aten::lerp_",),
}


def profile_update(
    config: FQLConfig, updates: int, precision: str = "float32"
) -> dict[str, dict[str, float]]:
    """Where an eager update's time goes, in ms per update: each op group's self time (torch.profiler), and each
    phase timed alone (best of `updates`): the forward (with the no-grad Euler flow inside it), the backward,
    and the optimiser step with the target move. `other_ops` is every remaining op (elementwise, copies);
    `python_and_autograd` is the wall time no op accounts for."""
    agent, batch = FQL(OBS_DIM, ACTION_DIM, config).set_precision(precision), _batch(config.batch_size)
    agent.update(batch)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        started = time.perf_counter()
        for _ in range(updates):
            agent.update(batch)
        wall = (time.perf_counter() - started) / updates
    ops = dict.fromkeys([*OP_GROUPS, "other_ops"], 0.0)
    for event in prof.key_averages():
        group = next((name for name, names in OP_GROUPS.items() if event.key in names), "other_ops")
        ops[group] += event.self_cpu_time_total / 1e3 / updates
    ops["python_and_autograd"] = max(0.0, wall * 1e3 - sum(ops.values()))
    phases = dict.fromkeys(("forward", "backward", "step", "euler_flow"), float("inf"))
    noise = torch.randn(config.batch_size, ACTION_DIM)
    for _ in range(updates):
        times = [time.perf_counter()]
        loss, _ = agent._loss(batch)
        times.append(time.perf_counter())
        agent.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        times.append(time.perf_counter())
        agent._move_targets()
        agent.optimizer.step()
        times.append(time.perf_counter())
        with torch.autocast("cpu", torch.bfloat16, enabled=precision == "bf16"):
            agent.flow_actions(batch["observations"], noise)
        times.append(time.perf_counter())
        for name, elapsed in zip(phases, np.diff(times), strict=True):
            phases[name] = min(phases[name], elapsed * 1e3)
    return {
        "ops_ms": {k: round(v, 2) for k, v in ops.items()},
        "phases_ms": {k: round(v, 2) for k, v in phases.items()},
    }


def goal_agent_speed(agent_cls, steps: int) -> float:
    """Median updates/s of a goal-conditioned agent at its reference defaults (its get_config batch and sizes)."""
    agent = agent_cls(OBS_DIM, ACTION_DIM)
    batch = _goal_batch(agent.config.goals, agent.config.batch_size)
    agent.update(batch)
    times = []
    for _ in range(steps):
        started = time.perf_counter()
        agent.update(batch)
        times.append(time.perf_counter() - started)
    return 1.0 / statistics.median(times)


def _goal_batch(goals, batch_size: int, episodes: int = 10, length: int = 1000) -> dict[str, torch.Tensor]:
    """A batch with every key the agent reads, relabelled by its own goal config from random trajectories."""
    rng = np.random.default_rng(0)
    obs = rng.standard_normal((episodes * length, OBS_DIM), dtype=np.float32)
    terminals = np.zeros(len(obs), dtype=np.float32)
    terminals[length - 1 :: length] = 1
    actions = rng.uniform(-1, 1, (len(obs), ACTION_DIM)).astype(np.float32)
    data = {"observations": obs, "next_observations": obs, "actions": actions, "terminals": terminals}
    return GoalBuffer(data, goals).sample(batch_size, rng)


def sgemm_flops_per_s(size: int, seconds: float, windows: int = 5) -> float:
    """Best FLOP/s of a large square float32 matmul over a few short windows (the CPU is shared)."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    best = 0.0
    for _ in range(windows):
        done, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds / windows:
            a @ b
            done += 1
        best = max(best, done * 2 * size**3 / (time.perf_counter() - started))
    return best


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", type=arg_type(Count), default=20, help="timed FQL updates per variant")
    parser.add_argument("--compile", action="store_true", help="also time the torch.compile'd update")


def _row(speed: dict[str, float], sgemm: float) -> dict[str, float]:
    achieved = speed["best_updates_per_s"] * speed["flops"]
    return {
        "updates_per_s": round(speed["updates_per_s"], 3),
        "best_updates_per_s": round(speed["best_updates_per_s"], 3),
        "gflop_per_s": round(achieved / 1e9, 2),
        "fraction_of_sgemm": round(achieved / sgemm, 4),
        "vs_reference_jax": round(speed["best_updates_per_s"] / REFERENCE_JAX_UPDATES_PER_S, 3),
        "warmup_s": round(speed["warmup_s"], 1),
    }


def run(args: argparse.Namespace) -> dict:
    quick = getattr(args, "quick", False)
    steps = 2 if quick else getattr(args, "steps", 20)
    size, seconds = (512, 0.3) if quick else (2048, 3.0)
    default = FQLConfig()
    threads = torch.get_num_threads()
    before = sgemm_flops_per_s(size, seconds)
    rows = {"eager": fql_speed(default, steps)}
    if getattr(args, "compile", False):
        rows["compiled"] = fql_speed(default, steps, compile=True)
    sgemm = max(before, sgemm_flops_per_s(size, seconds))
    torch.set_num_threads(1)
    single = fql_speed(default, max(2, steps // 4))
    sgemm_single = sgemm_flops_per_s(size, seconds)
    cpu_preset = fql_speed(FQLConfig(**CPU_PRESETS["fql"]), steps * 5)
    goal_agents = {cls.__name__: round(goal_agent_speed(cls, max(1, steps // 4)), 3) for cls in GOAL_AGENTS}
    torch.set_num_threads(threads)
    return {
        "threads": threads,
        "load_average_1min": round(_load(), 2),
        "fql_default": {"batch": default.batch_size, "hidden": list(default.actor_hidden), "flow_steps": 10},
        "gflop_per_update": round(rows["eager"]["flops"] / 1e9, 3),
        "sgemm_gflop_per_s": round(sgemm / 1e9, 2),
        "reference_jax_updates_per_s": REFERENCE_JAX_UPDATES_PER_S,
        **{f"fql_{name}": _row(speed, sgemm) for name, speed in rows.items()},
        "single_thread": {"sgemm_gflop_per_s": round(sgemm_single / 1e9, 2), **_row(single, sgemm_single)},
        "fql_cpu_preset_single_thread_updates_per_s": round(cpu_preset["updates_per_s"], 2),
        "goal_agents_single_thread_updates_per_s": goal_agents,  # each at its get_config() size
        "hours_for_1m_default_updates": round(1e6 / rows["eager"]["updates_per_s"] / 3600, 1),
    }


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")
