"""QRL: quasimetric RL (OGBench's reference agent), in PyTorch.

A distance d(s, g) = IQE(φ(s), φ(g)) over a learned latent φ is a quasimetric by construction (triangle
inequality, no symmetry). It is pushed apart on random state pairs (a softplus-shaped maximisation) under the
constraint that one transition costs at most one step: E[relu(d(s, s') + r)²] ≤ ε, enforced by a dual variable
λ = exp(log λ). The actor is DDPG+BC through a latent dynamics model φ(s') ≈ φ(s) + f(φ(s), a): it maximises
−d(f(φ(s), π(s, g)), φ(g)), normalised by its mean magnitude, plus α·log π(a | s, g). All losses sum into one
Adam step; QRL has no target network.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from agent_rl.control.agent import GoalAgent, GoalValueConfig
from agent_rl.core.bounds import Count, NonNegative, Positive
from agent_rl.core.gc_buffer import GoalConfig
from agent_rl.core.losses import ddpgbc_loss
from agent_rl.core.networks import MLP, GaussianActor


class QRLConfig(GoalValueConfig):
    """OGBench's `get_config()` defaults for QRL (IQE distance, DDPG+BC through latent dynamics)."""

    latent_dim: Count = 512
    dim_per_component: Count = 8
    eps: Positive = 0.05  # margin of the one-step constraint
    alpha: NonNegative = 0.003  # BC coefficient in DDPG+BC
    goals: GoalConfig = GoalConfig(
        value_p_curgoal=0.0, value_p_trajgoal=0.0, value_p_randomgoal=1.0, value_geom_sample=True
    )


def get_config() -> QRLConfig:
    return QRLConfig()


def interval_union_length(starts: torch.Tensor, ends: torch.Tensor) -> torch.Tensor:
    """Length of the union of intervals [starts_j, ends_j] (ends ≥ starts) over the last axis.

    Sorted by start, interval j adds what lies past both its start and every earlier interval's end.
    """
    starts, order = starts.sort(dim=-1)
    ends = ends.gather(-1, order)
    reach = torch.cummax(ends, dim=-1).values
    before = torch.cat([torch.full_like(reach[..., :1], -math.inf), reach[..., :-1]], dim=-1)
    return (ends - torch.maximum(starts, before)).clamp(min=0).sum(-1)


class IQE(nn.Module):
    """Interval quasimetric embedding: each component of `dim_per_component` coordinates measures the union of
    the intervals [x_j, max(x_j, y_j)]; components combine as a learned mix of their mean and their max."""

    def __init__(self, dim_per_component: int):
        super().__init__()
        self.dim_per_component = dim_per_component
        self.alpha_logit = nn.Parameter(torch.zeros(()))  # mix 0.5 / 0.5 at start

    def forward(self, x: torch.Tensor, y: torch.Tensor, detach_params: bool = False) -> torch.Tensor:
        x = x.unflatten(-1, (-1, self.dim_per_component))
        y = y.unflatten(-1, (-1, self.dim_per_component))
        components = interval_union_length(x, torch.maximum(x, y))
        logit = self.alpha_logit.detach() if detach_params else self.alpha_logit
        alpha = torch.sigmoid(logit)
        return alpha * components.mean(-1) + (1 - alpha) * components.max(-1).values


class QuasimetricValue(nn.Module):
    """d(s, g) = IQE(φ(s), φ(g)) with one encoder φ for states and goals."""

    def __init__(self, obs_dim: int, hidden, latent_dim: int, dim_per_component: int, layer_norm: bool):
        super().__init__()
        self.phi = MLP(obs_dim, hidden, latent_dim, layer_norm)
        self.iqe = IQE(dim_per_component)

    def forward(self, obs: torch.Tensor, goals: torch.Tensor) -> torch.Tensor:
        return self.iqe(self.phi(obs), self.phi(goals))


class QRL(GoalAgent):
    def __init__(self, obs_dim: int, action_dim: int, config: QRLConfig | None = None, device="cpu"):
        cfg = config or QRLConfig()
        if cfg.latent_dim % cfg.dim_per_component:
            raise ValueError("latent_dim must be a multiple of dim_per_component")
        super().__init__(obs_dim, action_dim, cfg, device)
        self.value = QuasimetricValue(
            obs_dim, cfg.value_hidden, cfg.latent_dim, cfg.dim_per_component, cfg.layer_norm
        )
        self.dynamics = MLP(cfg.latent_dim + action_dim, cfg.value_hidden, cfg.latent_dim, cfg.layer_norm)
        self.log_lam = nn.Parameter(torch.zeros(()))
        self.actor = GaussianActor(2 * obs_dim, cfg.actor_hidden, action_dim, const_std=cfg.const_std)
        self._finish_init()

    def encode(self, batch) -> dict[str, torch.Tensor]:
        """φ of the states, next states and both goal kinds, in one pass of the encoder."""
        keys = ("observations", "next_observations", "value_goals", "actor_goals")
        reps = self.value.phi(torch.cat([batch[k] for k in keys])).chunk(len(keys))
        return dict(zip(keys, reps, strict=True))

    def value_loss(self, batch, reps=None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        reps = reps or self.encode(batch)
        d_neg = self.value.iqe(reps["observations"], reps["value_goals"])
        d_pos = self.value.iqe(reps["observations"], reps["next_observations"])
        lam = self.log_lam.exp()
        d_neg_loss = (100 * nn.functional.softplus(5 - d_neg / 100)).mean()
        d_pos_loss = (torch.relu(d_pos + batch["rewards"]) ** 2).mean()
        value_loss = d_neg_loss + d_pos_loss * lam.detach()
        lam_loss = lam * (self.config.eps - d_pos_loss.detach())
        info = {"d_neg_mean": d_neg.detach().mean(), "d_pos_loss": d_pos_loss.detach(), "lam": lam.detach()}
        return value_loss + lam_loss, info

    def dynamics_loss(self, batch, reps=None) -> torch.Tensor:
        """The predicted next latent should be at zero distance from the real one, both ways."""
        reps = reps or self.encode(batch)
        now, after = reps["observations"], reps["next_observations"]
        predicted = now + self.dynamics(now, batch["actions"])
        return (self.value.iqe(after, predicted) + self.value.iqe(predicted, after)).mean() / 2

    def actor_loss(self, batch, reps=None) -> torch.Tensor:
        reps = reps or self.encode(batch)
        dist = self.actor.dist(batch["observations"], batch["actor_goals"])
        actions = (dist.mean if self.config.const_std else dist.rsample()).clamp(-1.0, 1.0)
        now, goal_reps = reps["observations"].detach(), reps["actor_goals"].detach()
        predicted = now + self.dynamics(now, actions, detach_params=True)
        q = -self.value.iqe(predicted, goal_reps, detach_params=True)
        return ddpgbc_loss(q, dist.log_prob(batch["actions"]).sum(-1), self.config.alpha)

    def total_loss(self, batch):
        reps = self.encode(batch)
        value_loss, info = self.value_loss(batch, reps)
        dynamics_loss, actor_loss = self.dynamics_loss(batch, reps), self.actor_loss(batch, reps)
        info |= {
            "value_loss": value_loss.detach(),
            "dynamics_loss": dynamics_loss.detach(),
            "actor_loss": actor_loss.detach(),
        }
        return value_loss + dynamics_loss + actor_loss, info

    def _actions(self, obs, goal, explore):
        return self.actor.dist(obs, goal).sample() if explore else self.actor.mode(obs, goal)
