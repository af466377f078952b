"""Returns and advantages over the turns (or steps) of episodes.

Everything works on one episode's reward list at a time, with terminal episodes (the value after the last
step is `bootstrap`, 0 by default). Group-relative advantages take a group of episodes that share a task.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def discounted_returns(rewards: Sequence[float], gamma: float = 1.0, bootstrap: float = 0.0) -> np.ndarray:
    """Returns-to-go: G_t = r_t + gamma * G_{t+1}, with G_T = bootstrap."""
    out = np.zeros(len(rewards), dtype=np.float64)
    running = bootstrap
    for t in range(len(rewards) - 1, -1, -1):
        running = rewards[t] + gamma * running
        out[t] = running
    return out


def gae(
    rewards: Sequence[float],
    values: Sequence[float],
    gamma: float = 0.99,
    lam: float = 0.95,
    bootstrap: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Generalised advantage estimation. Returns (advantages, value targets = advantages + values)."""
    if len(values) != len(rewards):
        raise ValueError(f"{len(rewards)} rewards but {len(values)} values")
    advantages = np.zeros(len(rewards), dtype=np.float64)
    running = 0.0
    next_value = bootstrap
    for t in range(len(rewards) - 1, -1, -1):
        delta = rewards[t] + gamma * next_value - values[t]
        running = delta + gamma * lam * running
        advantages[t] = running
        next_value = values[t]
    return advantages, advantages + np.asarray(values, dtype=np.float64)


def group_normalized_advantages(
    group_rewards: Sequence[Sequence[float]],
    gamma: float = 1.0,
    eps: float = 1e-6,
    by_std: bool = True,
    per_turn: bool = False,
) -> list[np.ndarray]:
    """Critic-free, turn-level advantages for a group of episodes on the same task.

    Each turn's return-to-go G is compared with the group's: (G - mean) / (std + eps), as GRPO does, or
    G - mean with `by_std=False` (Dr. GRPO). Dividing by the group's std gives a group whose returns differ only
    a little (no success, two kinds of failure) as strong a push as a group with a success.

    The baseline pools every turn of the group, or with `per_turn=True` only the turns at the same position
    (the k-th attempt of each episode that made k attempts), as a value baseline per step would. Pooling
    compares a late turn's small return-to-go (say the -1 for running out of attempts) with the first turns'
    larger losses, and so rewards whatever was sampled there. A set of equal returns carries no signal and
    gets zeros.
    """
    returns = [discounted_returns(r, gamma) for r in group_rewards]
    if not per_turn:
        return _normalized(returns, returns, eps, by_std)
    out = [np.zeros_like(g) for g in returns]
    for t in range(max((len(g) for g in returns), default=0)):
        reached = [i for i, g in enumerate(returns) if len(g) > t]
        column = [returns[i][t : t + 1] for i in reached]
        for i, adv in zip(reached, _normalized(column, column, eps, by_std), strict=True):
            out[i][t] = adv[0]
    return out


def _normalized(
    values: list[np.ndarray], pool: list[np.ndarray], eps: float, by_std: bool
) -> list[np.ndarray]:
    pooled = np.concatenate(pool) if pool else np.zeros(0)
    if pooled.size == 0:
        return values
    mean, std = pooled.mean(), pooled.std()
    if std < eps:
        return [np.zeros_like(g) for g in values]
    return [(g - mean) / (std + eps) if by_std else g - mean for g in values]
