"""Framework-neutral RL losses and targets: torch tensors in, a scalar loss (or target tensor) out.

Shared by the control agents (FQL, IQL, ReBRAC) and the LLM trainers (weighted BC is filtered BC when the
weights are 0/1, and AWR when they are exponentiated advantages).
"""

from __future__ import annotations

import torch
from torch import nn


def td_target(
    rewards: torch.Tensor, masks: torch.Tensor, next_values: torch.Tensor, gamma: float
) -> torch.Tensor:
    """One-step bootstrapped target r + γ·mask·V(s'), with no gradient (a regression target).

    `masks` is 0 where the episode truly ended (no bootstrap), 1 elsewhere; broadcasting lets `next_values`
    carry a leading ensemble axis.
    """
    return (rewards + gamma * masks * next_values).detach()


def expectile_loss(diff: torch.Tensor, expectile: float) -> torch.Tensor:
    """Asymmetric squared loss |τ − 1(diff < 0)|·diff², averaged; diff = target − prediction.

    τ = 0.5 is half the mean squared error; τ → 1 makes the prediction an upper expectile (IQL's in-sample max).
    """
    weight = torch.where(diff >= 0, expectile, 1.0 - expectile)
    return (weight * diff.pow(2)).mean()


def flow_matching_loss(
    velocity: nn.Module | callable, cond: torch.Tensor, x0: torch.Tensor, x1: torch.Tensor, t: torch.Tensor
) -> torch.Tensor:
    """Conditional flow matching on the straight path x_t = (1−t)·x0 + t·x1: regress v(cond, x_t, t) onto x1 − x0.

    `x0` is noise, `x1` the data (e.g. dataset actions), `t` in [0, 1] with shape (batch, 1). Mean over batch
    and dimensions.
    """
    x_t = (1.0 - t) * x0 + t * x1
    return (velocity(cond, x_t, t) - (x1 - x0)).pow(2).mean()


@torch.no_grad()
def euler_flow(
    velocity: nn.Module | callable, cond: torch.Tensor, x0: torch.Tensor, steps: int
) -> torch.Tensor:
    """Integrate dx/dt = v(cond, x, t) from noise x0 at t=0 to a sample at t=1 in `steps` Euler steps, unclipped.

    The sampler of a policy trained by `flow_matching_loss`; never differentiated. Extra leading axes of
    `cond` and `x0` (e.g. several samples per state) are carried through.
    """
    x = x0
    for i in range(steps):
        x = x + velocity(cond, x, torch.full((*x.shape[:-1], 1), i / steps, device=x.device)) / steps
    return x


def weighted_bc_loss(log_probs: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """−mean(w · log π(a|s)) with the weights treated as constants (filtered BC, AWR)."""
    return -(weights.detach() * log_probs).mean()


def ddpgbc_loss(q: torch.Tensor, log_probs: torch.Tensor, alpha: float) -> torch.Tensor:
    """DDPG+BC: −Q normalised by its mean magnitude (a constant), plus α times the negative log-likelihood."""
    return -q.mean() / (q.abs().mean().detach() + 1e-6) - alpha * log_probs.mean()


def awr_weights(advantages: torch.Tensor, temperature: float, max_weight: float = 100.0) -> torch.Tensor:
    """exp(advantage · temperature), clipped above for stability (IQL's extraction); no gradient."""
    return torch.exp(advantages.detach() * temperature).clamp(max=max_weight)


@torch.no_grad()
def polyak_update(target: nn.Module, source: nn.Module, tau: float) -> None:
    """target ← (1−τ)·target + τ·source, all parameters in one fused op: the only way a target network moves."""
    torch._foreach_lerp_(list(target.parameters()), list(source.parameters()), tau)
