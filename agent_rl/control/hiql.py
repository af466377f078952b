"""HIQL: hierarchical implicit Q-learning (OGBench's reference agent), in PyTorch.

The value V(s, g) = MLP(s, φ(s, g)) is GCIVL's (two heads, expectile regression, a target network), with the
goal seen through a learned representation φ(s, g) of length √rep_dim. Two policies are extracted from it by
AWR:
- the high-level policy π_h(z | s, g) proposes the representation z = φ(s, s_{t+k}) of the state k steps
  ahead, weighted by exp(high_alpha·(V(s_{t+k}, g) − V(s, g)));
- the low-level policy π_l(a | s, z) reaches the subgoal z = φ(s, s_{t+k}), weighted by
  exp(low_alpha·(V(s', s_{t+k}) − V(s, s_{t+k}))). φ gets no gradient from the actor (`low_actor_rep_grad`).
Acting chains them: z from π_h (its mode, or a sample when exploring), normalised, then π_l's action.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from agent_rl.control.agent import GoalAgent, GoalValueConfig
from agent_rl.control.gcivl import GCIVL
from agent_rl.core.bounds import Count, Expectile, NonNegative, Probability
from agent_rl.core.gc_buffer import GoalConfig
from agent_rl.core.losses import awr_weights
from agent_rl.core.networks import MLP, Critic, GaussianActor


class HIQLConfig(GoalValueConfig):
    """OGBench's `get_config()` defaults for HIQL."""

    tau: Probability = 0.005
    expectile: Expectile = 0.7
    low_alpha: NonNegative = 3.0
    high_alpha: NonNegative = 3.0
    rep_dim: Count = 10
    low_actor_rep_grad: bool = False
    goals: GoalConfig = GoalConfig(subgoal_steps=25)


def get_config() -> HIQLConfig:
    return HIQLConfig()


def length_normalize(x: torch.Tensor) -> torch.Tensor:
    """x scaled to length √dim (OGBench's LengthNormalize)."""
    return x / x.norm(dim=-1, keepdim=True).clamp(min=1e-6) * x.shape[-1] ** 0.5


class GoalRepValue(nn.Module):
    """Two heads of V(s, φ(s, g)) sharing one goal representation φ: shape (2, batch)."""

    def __init__(self, obs_dim: int, hidden, rep_dim: int, layer_norm: bool):
        super().__init__()
        self.goal_rep = MLP(2 * obs_dim, hidden, rep_dim, layer_norm)
        self.heads = Critic(obs_dim + rep_dim, hidden, 2, layer_norm)

    def rep(self, obs: torch.Tensor, goals: torch.Tensor) -> torch.Tensor:
        return length_normalize(self.goal_rep(obs, goals))

    def forward(self, obs: torch.Tensor, goals: torch.Tensor) -> torch.Tensor:
        return self.heads(obs, self.rep(obs, goals))


class HIQL(GCIVL):
    def __init__(self, obs_dim: int, action_dim: int, config: HIQLConfig | None = None, device="cpu"):
        cfg = config or HIQLConfig()
        if cfg.goals.subgoal_steps < 1:
            raise ValueError("HIQL needs goals.subgoal_steps ≥ 1")
        GoalAgent.__init__(self, obs_dim, action_dim, cfg, device)  # GCIVL's networks are not HIQL's
        self.value = GoalRepValue(obs_dim, cfg.value_hidden, cfg.rep_dim, cfg.layer_norm)
        self.target_value = copy.deepcopy(self.value).requires_grad_(False)
        self.low_actor = GaussianActor(
            obs_dim + cfg.rep_dim, cfg.actor_hidden, action_dim, const_std=cfg.const_std
        )
        self.high_actor = GaussianActor(2 * obs_dim, cfg.actor_hidden, cfg.rep_dim, const_std=cfg.const_std)
        self._finish_init()

    def _advantage(self, obs, later, goals) -> torch.Tensor:
        with torch.no_grad():
            return self.value(later, goals).mean(dim=0) - self.value(obs, goals).mean(dim=0)

    def low_actor_loss(self, batch) -> torch.Tensor:
        obs, subgoals = batch["observations"], batch["low_actor_goals"]
        weights = awr_weights(
            self._advantage(obs, batch["next_observations"], subgoals), self.config.low_alpha
        )
        reps = self.value.rep(obs, subgoals)
        if not self.config.low_actor_rep_grad:
            reps = reps.detach()
        log_prob = self.low_actor.dist(obs, reps).log_prob(batch["actions"]).sum(-1)
        return -(weights * log_prob).mean()

    def high_actor_loss(self, batch) -> torch.Tensor:
        obs, goals, targets = batch["observations"], batch["high_actor_goals"], batch["high_actor_targets"]
        weights = awr_weights(self._advantage(obs, targets, goals), self.config.high_alpha)
        with torch.no_grad():
            target_reps = self.value.rep(obs, targets)
        log_prob = self.high_actor.dist(obs, goals).log_prob(target_reps).sum(-1)
        return -(weights * log_prob).mean()

    def total_loss(self, batch):
        value_loss, v_mean = self.value_loss(batch)
        low, high = self.low_actor_loss(batch), self.high_actor_loss(batch)
        info = {
            "value_loss": value_loss.detach(),
            "low_actor_loss": low.detach(),
            "high_actor_loss": high.detach(),
            "v_mean": v_mean,
        }
        return value_loss + low + high, info

    def _actions(self, obs, goal, explore):
        high = self.high_actor.dist(obs, goal).sample() if explore else self.high_actor.mode(obs, goal)
        low_dist = self.low_actor.dist(obs, length_normalize(high))
        return low_dist.sample() if explore else low_dist.mean
