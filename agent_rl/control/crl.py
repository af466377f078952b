"""CRL: contrastive RL (OGBench's reference agent), in PyTorch.

The critic is bilinear, f(s, a, g) = φ(s, a)·ψ(g) / √d, an ensemble of two. Its contrastive loss is binary NCE
over the batch: each row's own future state (a value goal, geometric over γ) is the positive and the other
rows' goals are negatives, so f approaches log p(g | s, a) / p(g) up to a constant: f is the log of a
Q-function (OGBench's `actor_log_q`). The actor is DDPG+BC on that log-Q: maximise min over the two critics of
f(s, π(s, g), g), normalised by its mean magnitude, plus α·log π(a | s, g). One Adam step on the sum; no target
network.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from agent_rl.control.agent import GoalAgent, GoalValueConfig
from agent_rl.core.bounds import Count, NonNegative
from agent_rl.core.gc_buffer import GoalConfig
from agent_rl.core.losses import ddpgbc_loss
from agent_rl.core.networks import MLP, GaussianActor


class CRLConfig(GoalValueConfig):
    """OGBench's `get_config()` defaults for CRL (DDPG+BC actor on log Q)."""

    latent_dim: Count = 512
    alpha: NonNegative = 0.1  # BC coefficient in DDPG+BC
    goals: GoalConfig = GoalConfig(
        value_p_curgoal=0.0,
        value_p_trajgoal=1.0,
        value_p_randomgoal=0.0,
        value_geom_sample=True,
        actor_p_curgoal=0.0,
        actor_p_trajgoal=0.5,
        actor_p_randomgoal=0.5,
    )


def get_config() -> CRLConfig:
    return CRLConfig()


class BilinearCritic(nn.Module):
    """An ensemble of φ(s, a) and ψ(g) encoders; `logits` pairs every row's (s, a) with every row's goal."""

    def __init__(self, obs_dim: int, action_dim: int, hidden, latent_dim: int, layer_norm: bool):
        super().__init__()
        self.scale = latent_dim**-0.5
        self.phi = MLP(obs_dim + action_dim, hidden, latent_dim, layer_norm, ensemble=2)
        self.psi = MLP(obs_dim, hidden, latent_dim, layer_norm, ensemble=2)

    def logits(self, obs, actions, goals) -> torch.Tensor:
        """(2, batch, batch): entry [e, i, j] = f_e(s_i, a_i, g_j)."""
        return torch.einsum("eik,ejk->eij", self.phi(obs, actions), self.psi(goals)) * self.scale

    def forward(self, obs, actions, goals, detach_params: bool = False) -> torch.Tensor:
        """(2, batch): f_e(s_i, a_i, g_i)."""
        phi = self.phi(obs, actions, detach_params=detach_params)
        return (phi * self.psi(goals, detach_params=detach_params)).sum(-1) * self.scale


class CRL(GoalAgent):
    def __init__(self, obs_dim: int, action_dim: int, config: CRLConfig | None = None, device="cpu"):
        cfg = config or CRLConfig()
        super().__init__(obs_dim, action_dim, cfg, device)
        self.critic = BilinearCritic(obs_dim, action_dim, cfg.value_hidden, cfg.latent_dim, cfg.layer_norm)
        self.actor = GaussianActor(2 * obs_dim, cfg.actor_hidden, action_dim, const_std=cfg.const_std)
        self._finish_init()

    def critic_loss(self, batch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        logits = self.critic.logits(batch["observations"], batch["actions"], batch["value_goals"])
        labels = torch.eye(logits.shape[-1], device=logits.device).expand_as(logits)
        loss = F.binary_cross_entropy_with_logits(logits, labels)
        correct = (logits.argmax(-1) == torch.arange(logits.shape[-1], device=logits.device)).float()
        return loss, {"categorical_accuracy": correct.mean().detach()}

    def actor_loss(self, batch) -> torch.Tensor:
        obs, goals = batch["observations"], batch["actor_goals"]
        dist = self.actor.dist(obs, goals)
        actions = (dist.mean if self.config.const_std else dist.rsample()).clamp(-1.0, 1.0)
        q = self.critic(obs, actions, goals, detach_params=True).min(dim=0).values
        return ddpgbc_loss(q, dist.log_prob(batch["actions"]).sum(-1), self.config.alpha)

    def total_loss(self, batch):
        critic_loss, info = self.critic_loss(batch)
        actor_loss = self.actor_loss(batch)
        info |= {"critic_loss": critic_loss.detach(), "actor_loss": actor_loss.detach()}
        return critic_loss + actor_loss, info

    def _actions(self, obs, goal, explore):
        return self.actor.dist(obs, goal).sample() if explore else self.actor.mode(obs, goal)
