"""Evaluation of a control agent on OGBench's single-task goals (task1..task5), and the success plot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import gymnasium
import numpy as np


def _reset(env: gymnasium.Env, seed: int, options: dict | None = None) -> tuple[np.ndarray, dict]:
    """Reset with a seed that fixes the whole episode: OGBench's envs draw the start and goal jitter (all of it
    in the mazes, part of it in manipulation) from numpy's global generator, which `reset(seed=...)` leaves
    alone."""
    np.random.seed(seed)
    return env.reset(seed=seed, options=options)


def evaluate(
    act: Callable[[np.ndarray], np.ndarray], env: gymnasium.Env, episodes: int, seed: int = 0
) -> dict[str, float]:
    """Success rate and mean return of `act` over `episodes` real episodes of a single-task env."""
    successes, returns = [], []
    for ep in range(episodes):
        obs, info = _reset(env, seed + ep)
        done, total = False, 0.0
        while not done:
            obs, reward, terminated, truncated, info = env.step(act(obs))
            total += float(reward)
            done = terminated or truncated
        successes.append(float(info.get("success", 0.0)))
        returns.append(total)
    return {"success": float(np.mean(successes)), "return": float(np.mean(returns))}


def evaluate_goals(
    act: Callable[[np.ndarray, np.ndarray], np.ndarray],
    env: gymnasium.Env,
    tasks: list[int],
    episodes: int = 50,
    seed: int = 0,
) -> dict[str, float]:
    """OGBench's goal-conditioned evaluation: `episodes` episodes towards each evaluation goal (task1..task5).

    The env is the plain one (e.g. `cube-single-v0`); `reset(options={'task_id': t})` sets task t's goal, and
    `info['goal']` is the goal observation the agent is conditioned on. Success is the env's at episode end;
    the overall score is the mean over tasks.
    """
    result = {}
    for task in tasks:
        successes = []
        for ep in range(episodes):
            obs, info = _reset(env, seed + 1000 * task + ep, {"task_id": task, "render_goal": False})
            goal, done = info["goal"], False
            while not done:
                obs, _, terminated, truncated, info = env.step(act(obs, goal))
                done = terminated or truncated
            successes.append(float(info.get("success", 0.0)))
        result[f"task{task}"] = float(np.mean(successes))
    result["success"] = float(np.mean([result[f"task{t}"] for t in tasks]))
    return result


def plot_success(history: dict[int, list[tuple[int, float]]], path: str | Path, title: str) -> None:
    """Success against training steps: one line per task and their mean (over steps all tasks reached)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for task, points in sorted(history.items()):
        if points:
            steps, success = zip(*points, strict=True)
            ax.plot(steps, success, marker="o", alpha=0.6, label=f"task{task}")
    common = set.intersection(*(set(s for s, _ in pts) for pts in history.values())) if history else set()
    if common:
        steps = sorted(common)
        mean = [np.mean([dict(pts)[s] for pts in history.values()]) for s in steps]
        ax.plot(steps, mean, color="black", linewidth=2.5, label="mean")
    ax.set_ylim(-0.02, 1.02)
    save_figure(fig, ax, path, "training steps", "success rate", title)


def save_figure(fig, ax, path: str | Path, xlabel: str, ylabel: str, title: str) -> None:
    """Label, grid, legend and write a matplotlib figure, then close it."""
    import matplotlib.pyplot as plt

    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
