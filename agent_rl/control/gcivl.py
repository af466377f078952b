"""GCIVL: goal-conditioned implicit V-learning (OGBench's reference agent), in PyTorch.

V(s, g) is learned without actions: an expectile regression of each of two value heads onto
r + γ·mask·V̄ᵢ(s', g), weighted by the advantage of the target values' min (IQL's in-sample maximum, with
states instead of actions). The policy is extracted by AWR with the advantage V(s', g) − V(s, g) of the
current values, exp-weights clipped at 100. One Adam step on the summed loss; the target moves from the
pre-step values.
"""

from __future__ import annotations

import copy

import torch

from agent_rl.control.agent import GoalAgent, GoalValueConfig
from agent_rl.core.bounds import Expectile, NonNegative, Probability
from agent_rl.core.gc_buffer import GoalConfig
from agent_rl.core.losses import awr_weights
from agent_rl.core.networks import Critic, GaussianActor


class GCIVLConfig(GoalValueConfig):
    """OGBench's `get_config()` defaults for GCIVL."""

    tau: Probability = 0.005
    expectile: Expectile = 0.9
    alpha: NonNegative = 10.0  # AWR inverse temperature
    goals: GoalConfig = GoalConfig()


def get_config() -> GCIVLConfig:
    return GCIVLConfig()


def weighted_expectile_loss(adv: torch.Tensor, diff: torch.Tensor, expectile: float) -> torch.Tensor:
    """|τ − 1(adv < 0)|·diff², averaged: the weight comes from `adv`, the error from `diff` (OGBench's form)."""
    return (torch.where(adv >= 0, expectile, 1.0 - expectile) * diff.pow(2)).mean()


class GCIVL(GoalAgent):
    def __init__(self, obs_dim: int, action_dim: int, config: GCIVLConfig | None = None, device="cpu"):
        cfg = config or GCIVLConfig()
        super().__init__(obs_dim, action_dim, cfg, device)
        self.value = Critic(2 * obs_dim, cfg.value_hidden, 2, cfg.layer_norm)
        self.target_value = copy.deepcopy(self.value).requires_grad_(False)
        self.actor = GaussianActor(2 * obs_dim, cfg.actor_hidden, action_dim, const_std=cfg.const_std)
        self._finish_init()

    def targets(self):
        return [(self.target_value, self.value)]

    def value_loss(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        cfg = self.config
        obs, next_obs, goals = batch["observations"], batch["next_observations"], batch["value_goals"]
        r, m = batch["rewards"], batch["masks"]
        with torch.no_grad():
            next_v = self.target_value(next_obs, goals)  # (2, batch)
            adv = r + cfg.discount * m * next_v.min(dim=0).values - self.target_value(obs, goals).mean(dim=0)
            q = r + cfg.discount * m * next_v  # one target per head
        v = self.value(obs, goals)
        loss = sum(weighted_expectile_loss(adv, q[i] - v[i], cfg.expectile) for i in range(2))
        return loss, v.detach().mean()

    def actor_loss(self, batch) -> torch.Tensor:
        obs, goals = batch["observations"], batch["actor_goals"]
        with torch.no_grad():
            adv = self.value(batch["next_observations"], goals).mean(dim=0) - self.value(obs, goals).mean(
                dim=0
            )
        log_prob = self.actor.dist(obs, goals).log_prob(batch["actions"]).sum(-1)
        return -(awr_weights(adv, self.config.alpha) * log_prob).mean()

    def total_loss(self, batch):
        value_loss, v_mean = self.value_loss(batch)
        actor_loss = self.actor_loss(batch)
        info = {"value_loss": value_loss.detach(), "actor_loss": actor_loss.detach(), "v_mean": v_mean}
        return value_loss + actor_loss, info

    def _actions(self, obs, goal, explore):
        return self.actor.dist(obs, goal).sample() if explore else self.actor.mode(obs, goal)
