"""`agent-rl bench control`: FQL update speed at the reference's default size against this machine's
matrix-multiply limits, side by side in one run.

- The limits are the best large gemms (2048³, all cores, then one thread) over a few short windows, in float32
  (sgemm) and in bf16 (AMX on Sapphire Rapids).
- Ours: FQL updates at batch 256, (512,)*4 MLPs, 10 flow steps, cube-single shapes (obs 28, action 5), eager in
  float32 and bf16 and (with `--compile`) both through torch.compile; FLOPs per update counted by torch's
  FlopCounterMode on the float32 update (the same work in either precision).
- Where an eager update's time goes: op groups (matmul, GELU, LayerNorm, Adam, Polyak, the rest) and phases
  (forward, its no-grad Euler flow, backward, optimiser step), per precision.
- The authors' JAX reference ran 24 updates/s on this machine kind (issue 14's side-by-side measurement; JAX is
  not installed here, so it is quoted, not rerun). On a shared CPU compare ratios to the same run's gemms.
- With `--parity-data NPZ`: FQL trained in float32 beside bf16 on the same batches (`precision_parity`).
Also: each goal-conditioned agent's updates/s at its reference defaults (OGBench's six: batch 1024, (512,)*3;
SHARSA and double SHARSA: batch 1024, (1024,)*4) and the CPU preset's updates/s, on one thread. On a CPU
shared with other jobs one thread is much faster than two: each of an update's hundreds of small parallel ops
waits for the second thread to be scheduled.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from torch.profiler import ProfilerActivity, profile
from torch.utils.flop_counter import FlopCounterMode

from agent_rl.control.agent import Precision
from agent_rl.control.crl import CRL
from agent_rl.control.double_sharsa import DoubleSHARSA
from agent_rl.control.fql import FQL, FQLConfig
from agent_rl.control.gcbc import GCBC
from agent_rl.control.gciql import GCIQL
from agent_rl.control.gcivl import GCIVL
from agent_rl.control.hiql import HIQL
from agent_rl.control.presets import CPU_PRESETS, build_config
from agent_rl.control.qrl import QRL
from agent_rl.control.sharsa import SHARSA
from agent_rl.core.bounds import Count
from agent_rl.core.buffers import TransitionBuffer
from agent_rl.core.cli_args import arg_type
from agent_rl.core.gc_buffer import GoalBuffer
from agent_rl.errors import UserError
from envs.control.datasets import load_datasets
from envs.control.ogbench_envs import DatasetName

OBS_DIM, ACTION_DIM = 28, 5  # cube-single
REFERENCE_JAX_UPDATES_PER_S = 24.0
TRANSITION_KEYS = ("observations", "actions", "rewards", "masks", "next_observations")
GOAL_AGENTS = (GCBC, GCIVL, GCIQL, QRL, CRL, HIQL, SHARSA, DoubleSHARSA)


def _batch(batch_size: int) -> dict[str, torch.Tensor]:
    return {
        "observations": torch.randn(batch_size, OBS_DIM),
        "next_observations": torch.randn(batch_size, OBS_DIM),
        "actions": torch.rand(batch_size, ACTION_DIM) * 2 - 1,
        "rewards": -torch.rand(batch_size),
        "masks": torch.ones(batch_size),
    }


def fql_speed(config: FQLConfig, steps: int, precision: Precision = "float32", compile: bool = False) -> dict:
    """Median and best updates/s (each update timed alone: on a shared CPU the best is the fair one)."""
    agent, batch = FQL(OBS_DIM, ACTION_DIM, config).set_precision(precision), _batch(config.batch_size)
    if compile:
        agent.compile()
    started = time.perf_counter()
    for _ in range(3):  # warm-up (and compilation)
        agent.update(batch)
    warmup = time.perf_counter() - started
    times = []
    for _ in range(steps):
        started = time.perf_counter()
        agent.update(batch)
        times.append(time.perf_counter() - started)
    return {
        "updates_per_s": 1.0 / statistics.median(times),
        "best_updates_per_s": 1.0 / min(times),
        "warmup_s": warmup,
    }


def update_flops(config: FQLConfig) -> float:
    """FLOPs of one FQL update (forward and backward of every network it runs), by torch's FlopCounterMode."""
    with FlopCounterMode(display=False) as counter:
        FQL(OBS_DIM, ACTION_DIM, config).update(_batch(config.batch_size))
    return float(counter.get_total_flops())


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


PARITY_METRICS = ("critic_loss", "q_mean", "actor_loss", "bc_flow_loss", "distill_loss", "q_loss")


def precision_parity(dataset: Path, steps: int, window: int) -> dict:
    """FQL (CPU preset, the task table's α) on an OGBench dataset's task 1, float32 beside bf16: the same init,
    batches and noise, so any gap is bf16's. Window means of each metric, and each metric's largest gap over the
    windows relative to float32's value range."""
    env = DatasetName.parse(dataset.name.removesuffix(".npz")).dataset
    train, _ = load_datasets(env, dataset, task=1)
    buffer = TransitionBuffer.from_dataset({k: train[k].astype(np.float32) for k in TRANSITION_KEYS})
    config = build_config("fql", "cpu", env, {})
    curves, seconds = {}, {}
    for precision in ("float32", "bf16"):
        torch.manual_seed(0)
        agent = FQL(train["observations"].shape[1], train["actions"].shape[1], config).set_precision(
            precision
        )
        rng, sums, curve = np.random.default_rng(0), dict.fromkeys(PARITY_METRICS, 0.0), []
        started = time.perf_counter()
        for step in range(1, steps + 1):
            info = agent.update(buffer.sample(config.batch_size, rng))
            for key in PARITY_METRICS:
                sums[key] += float(info[key])
            if step % window == 0:
                curve.append({"step": step, **{k: round(v / window, 4) for k, v in sums.items()}})
                sums = dict.fromkeys(PARITY_METRICS, 0.0)
        curves[precision], seconds[precision] = curve, round(time.perf_counter() - started, 1)
    gaps = {}
    for key in PARITY_METRICS:
        exact = np.array([row[key] for row in curves["float32"]])
        mixed = np.array([row[key] for row in curves["bf16"]])
        gaps[key] = round(float(np.abs(mixed - exact).max() / (np.ptp(exact) or 1.0)), 4)
    return {
        "dataset": str(dataset),
        "task": 1,
        "config": config.model_dump(mode="json"),
        "seconds": seconds,
        "max_gap_over_range": gaps,
        "curves": curves,
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


def gemm_flops_per_s(size: int, seconds: float, dtype: torch.dtype, windows: int = 5) -> float:
    """Best FLOP/s of a large square matmul over a few short windows (the CPU is shared)."""
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
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
    parser.add_argument("--compile", action="store_true", help="also time the torch.compile'd updates")
    parser.add_argument(
        "--parity-data",
        type=Path,
        default=None,
        help="an OGBench .npz (e.g. scene-play-v0.npz): also train FQL float32 beside bf16 on its task 1",
    )
    parser.add_argument("--parity-steps", type=arg_type(Count), default=2000, help="updates per precision")


def _row(speed: dict[str, float], flops: float, limits: dict[str, float]) -> dict[str, float]:
    achieved = speed["best_updates_per_s"] * flops
    return {
        "updates_per_s": round(speed["updates_per_s"], 3),
        "best_updates_per_s": round(speed["best_updates_per_s"], 3),
        "gflop_per_s": round(achieved / 1e9, 2),
        **{f"fraction_of_{name}": round(achieved / limit, 4) for name, limit in limits.items()},
        "vs_reference_jax": round(speed["best_updates_per_s"] / REFERENCE_JAX_UPDATES_PER_S, 3),
        "warmup_s": round(speed["warmup_s"], 1),
    }


def _variants(config: FQLConfig, steps: int, compile: bool) -> dict[str, dict]:
    """Every way to run the same update: eager and (optionally) compiled, in float32 and bf16."""
    runs = [(c, p) for c in ([False, True] if compile else [False]) for p in ("float32", "bf16")]
    return {
        f"{'compiled' if c else 'eager'}_{p}": fql_speed(config, steps, precision=p, compile=c)
        for c, p in runs
    }


def _limits(size: int, seconds: float) -> dict[str, float]:
    return {
        "sgemm": gemm_flops_per_s(size, seconds, torch.float32),
        "bf16_gemm": gemm_flops_per_s(size, seconds, torch.bfloat16),
    }


def run(args: argparse.Namespace) -> dict:
    quick = getattr(args, "quick", False)
    steps = 2 if quick else getattr(args, "steps", 20)
    size, seconds = (512, 0.3) if quick else (2048, 3.0)
    compile = getattr(args, "compile", False)
    parity = getattr(args, "parity_data", None)
    if parity is not None and not parity.is_file():
        raise UserError(
            f"--parity-data {parity}: no such file (give an OGBench .npz, e.g. scene-play-v0.npz)"
        )
    default = FQLConfig()
    flops = update_flops(default)
    threads = torch.get_num_threads()
    before = _limits(size, seconds)
    rows = _variants(default, steps, compile)
    after = _limits(size, seconds)
    limits = {name: max(before[name], after[name]) for name in before}
    profiles = {p: profile_update(default, max(2, steps // 4), p) for p in ("float32", "bf16")}
    torch.set_num_threads(1)
    single_limits = _limits(size, seconds)
    single = _variants(default, max(2, steps // 4), compile)
    cpu_preset = fql_speed(FQLConfig(**CPU_PRESETS["fql"]), steps * 5)
    goal_agents = {cls.__name__: round(goal_agent_speed(cls, max(1, steps // 4)), 3) for cls in GOAL_AGENTS}
    torch.set_num_threads(threads)
    return {
        "threads": threads,
        "load_average_1min": round(_load(), 2),
        "fql_default": {"batch": default.batch_size, "hidden": list(default.actor_hidden), "flow_steps": 10},
        "gflop_per_update": round(flops / 1e9, 3),
        **{f"{name}_gflop_per_s": round(limit / 1e9, 2) for name, limit in limits.items()},
        "reference_jax_updates_per_s": REFERENCE_JAX_UPDATES_PER_S,
        **{f"fql_{name}": _row(speed, flops, limits) for name, speed in rows.items()},
        "eager_profile_ms_per_update": profiles,
        "single_thread": {
            **{f"{name}_gflop_per_s": round(limit / 1e9, 2) for name, limit in single_limits.items()},
            **{f"fql_{name}": _row(speed, flops, single_limits) for name, speed in single.items()},
        },
        "fql_cpu_preset_single_thread_updates_per_s": round(cpu_preset["updates_per_s"], 2),
        "goal_agents_single_thread_updates_per_s": goal_agents,  # each at its get_config() size
        "hours_for_1m_default_updates": round(  # at the fastest variant, on all cores or on one
            1e6 / max(r["updates_per_s"] for r in [*rows.values(), *single.values()]) / 3600, 1
        ),
        **({"precision_parity": precision_parity(parity, args.parity_steps, 100)} if parity else {}),
    }


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")
