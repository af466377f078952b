"""FQL: Flow Q-Learning (Park, Li, Levine), in PyTorch.

Three networks:
- a flow BC policy, the velocity field v(s, x_t, t), trained by flow matching on dataset actions;
- a one-step policy μ(s, z) that maps noise straight to an action; it is distilled from the flow policy's
  10-step Euler integration and pushed up the critic;
- a critic ensemble Q(s, a) with a Polyak-averaged target copy.

Two stop-gradients matter (a common porting bug): the distillation target (the Euler integration) is
detached, and the actor loss leaves the critic's parameters without gradient.
"""

from __future__ import annotations

import copy
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import nn

from agent_rl.core.losses import flow_matching_loss, polyak_update, td_target
from agent_rl.core.networks import ConcatMLP, Critic


@dataclass
class FQLConfig:
    lr: float = 3e-4
    batch_size: int = 256
    actor_hidden: tuple[int, ...] = (512, 512, 512, 512)
    critic_hidden: tuple[int, ...] = (512, 512, 512, 512)
    critic_layer_norm: bool = True
    actor_layer_norm: bool = False
    num_critics: int = 2
    discount: float = 0.99
    tau: float = 0.005
    q_agg: Literal["mean", "min"] = "mean"
    alpha: float = 10.0  # distillation weight; the per-task presets live in agent_rl/control/presets.py
    flow_steps: int = 10
    normalize_q_loss: bool = False


@contextmanager
def frozen(module: nn.Module):
    """Run a module without building gradients for its parameters (inputs still get theirs)."""
    flags = [p.requires_grad for p in module.parameters()]
    for p in module.parameters():
        p.requires_grad_(False)
    try:
        yield module
    finally:
        for p, flag in zip(module.parameters(), flags, strict=True):
            p.requires_grad_(flag)


class FQL(nn.Module):
    def __init__(self, obs_dim: int, action_dim: int, config: FQLConfig | None = None):
        super().__init__()
        self.config = cfg = config or FQLConfig()
        self.obs_dim, self.action_dim = obs_dim, action_dim
        self.critic = Critic(obs_dim, action_dim, cfg.critic_hidden, cfg.num_critics, cfg.critic_layer_norm)
        self.target_critic = copy.deepcopy(self.critic).requires_grad_(False)
        self.actor_bc_flow = ConcatMLP(
            obs_dim + action_dim + 1, cfg.actor_hidden, action_dim, cfg.actor_layer_norm
        )
        self.actor_onestep = ConcatMLP(
            obs_dim + action_dim, cfg.actor_hidden, action_dim, cfg.actor_layer_norm
        )
        self.critic_opt = torch.optim.Adam(self.critic.parameters(), lr=cfg.lr)
        self.actor_opt = torch.optim.Adam(
            [*self.actor_bc_flow.parameters(), *self.actor_onestep.parameters()], lr=cfg.lr
        )
        self.optimizers = {"critic": self.critic_opt, "actor": self.actor_opt}

    @torch.no_grad()
    def flow_actions(self, obs: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Euler integration of the BC flow from noise at t=0 to an action at t=1 (never differentiated)."""
        actions, steps = noise, self.config.flow_steps
        for i in range(steps):
            t = torch.full((len(obs), 1), i / steps)
            actions = actions + self.actor_bc_flow(obs, actions, t) / steps
        return actions.clamp(-1.0, 1.0)

    def onestep_actions(self, obs: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        """μ(s, z), unclipped (clip before it meets the env or the critic)."""
        if noise is None:
            noise = torch.randn(len(obs), self.action_dim)
        return self.actor_onestep(obs, noise)

    def _aggregate(self, qs: torch.Tensor) -> torch.Tensor:
        return qs.min(dim=0).values if self.config.q_agg == "min" else qs.mean(dim=0)

    def critic_loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        with torch.no_grad():
            next_actions = self.onestep_actions(batch["next_observations"]).clamp(-1.0, 1.0)
            next_q = self._aggregate(self.target_critic(batch["next_observations"], next_actions))
            target = td_target(batch["rewards"], batch["masks"], next_q, self.config.discount)
        q = self.critic(batch["observations"], batch["actions"])
        loss = (q - target).pow(2).sum(dim=0).mean()
        return loss, {"critic_loss": loss.item(), "q_mean": q.mean().item()}

    def actor_loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        obs, actions = batch["observations"], batch["actions"]
        n = len(obs)
        bc_flow_loss = flow_matching_loss(
            self.actor_bc_flow, obs, torch.randn(n, self.action_dim), actions, torch.rand(n, 1)
        )
        noise = torch.randn(n, self.action_dim)
        target_actions = self.flow_actions(obs, noise)  # detached: no_grad inside
        policy_actions = self.onestep_actions(obs, noise)
        distill_loss = (policy_actions - target_actions).pow(2).mean()
        with frozen(self.critic):
            q = self.critic(obs, policy_actions.clamp(-1.0, 1.0)).mean(dim=0)
        q_loss = -q.mean()
        if self.config.normalize_q_loss:
            q_loss = q_loss / q.abs().mean().detach()
        loss = bc_flow_loss + self.config.alpha * distill_loss + q_loss
        metrics = {
            "actor_loss": loss.item(),
            "bc_flow_loss": bc_flow_loss.item(),
            "distill_loss": distill_loss.item(),
            "q_loss": q_loss.item(),
        }
        return loss, metrics

    def update(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        """One gradient step on the critic, one on both actors, then the target moves by Polyak averaging."""
        critic_loss, metrics = self.critic_loss(batch)
        self.critic_opt.zero_grad(set_to_none=True)
        critic_loss.backward()
        self.critic_opt.step()

        actor_loss, actor_metrics = self.actor_loss(batch)
        self.actor_opt.zero_grad(set_to_none=True)
        actor_loss.backward()
        self.actor_opt.step()

        polyak_update(self.target_critic, self.critic, self.config.tau)
        return {**metrics, **actor_metrics}

    @torch.no_grad()
    def act(self, obs: np.ndarray) -> np.ndarray:
        """Evaluation actions: the one-step policy on fresh noise, clipped to [-1, 1]."""
        obs_t = torch.as_tensor(np.asarray(obs, dtype=np.float32)).reshape(-1, self.obs_dim)
        actions = self.onestep_actions(obs_t).clamp(-1.0, 1.0).numpy()
        return actions.reshape(*np.shape(obs)[:-1], self.action_dim)
