"""IQL: Implicit Q-Learning (Kostrikov et al.), in PyTorch, with AWR or DDPG+BC policy extraction.

Value learning never queries actions outside the dataset: V(s) is an upper expectile of Q(s, a) over dataset
actions, and Q regresses onto r + γ·mask·V(s'). The policy is then extracted either by advantage-weighted
regression (AWR) or by DDPG+BC (maximise Q near the data), which the offline-RL bottlenecks paper found
generally better.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import nn
from torch.distributions import Normal

from agent_rl.control.fql import frozen
from agent_rl.core.losses import awr_weights, expectile_loss, polyak_update, td_target, weighted_bc_loss
from agent_rl.core.networks import Critic, ValueNet, mlp


@dataclass
class IQLConfig:
    lr: float = 3e-4
    batch_size: int = 256
    actor_hidden: tuple[int, ...] = (512, 512, 512, 512)
    critic_hidden: tuple[int, ...] = (512, 512, 512, 512)
    critic_layer_norm: bool = True
    discount: float = 0.99
    tau: float = 0.005
    expectile: float = 0.9
    extraction: Literal["awr", "ddpgbc"] = "awr"
    alpha: float = 10.0  # AWR inverse temperature, or the BC weight for DDPG+BC
    max_weight: float = 100.0


class GaussianActor(nn.Module):
    """A Gaussian policy with a state-dependent mean and a learned state-independent log-std."""

    def __init__(self, obs_dim: int, action_dim: int, hidden: tuple[int, ...]):
        super().__init__()
        self.mean = mlp(obs_dim, hidden, action_dim)
        self.log_std = nn.Parameter(torch.zeros(action_dim))

    def forward(self, obs: torch.Tensor) -> Normal:
        return Normal(self.mean(obs), self.log_std.clamp(-5.0, 2.0).exp())


class IQL(nn.Module):
    def __init__(self, obs_dim: int, action_dim: int, config: IQLConfig | None = None):
        super().__init__()
        self.config = cfg = config or IQLConfig()
        self.obs_dim, self.action_dim = obs_dim, action_dim
        self.critic = Critic(obs_dim, action_dim, cfg.critic_hidden, 2, cfg.critic_layer_norm)
        self.target_critic = copy.deepcopy(self.critic).requires_grad_(False)
        self.value = ValueNet(obs_dim, cfg.critic_hidden, cfg.critic_layer_norm)
        self.actor = GaussianActor(obs_dim, action_dim, cfg.actor_hidden)
        self.optimizers = {
            "value": torch.optim.Adam(self.value.parameters(), lr=cfg.lr),
            "critic": torch.optim.Adam(self.critic.parameters(), lr=cfg.lr),
            "actor": torch.optim.Adam(self.actor.parameters(), lr=cfg.lr),
        }

    def value_loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        with torch.no_grad():
            q = self.target_critic(batch["observations"], batch["actions"]).min(dim=0).values
        return expectile_loss(q - self.value(batch["observations"]), self.config.expectile)

    def critic_loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        with torch.no_grad():
            target = td_target(
                batch["rewards"], batch["masks"], self.value(batch["next_observations"]), self.config.discount
            )
        q = self.critic(batch["observations"], batch["actions"])
        return (q - target).pow(2).sum(dim=0).mean()

    def actor_loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        obs, actions = batch["observations"], batch["actions"]
        dist = self.actor(obs)
        if self.config.extraction == "awr":
            with torch.no_grad():
                adv = self.target_critic(obs, actions).min(dim=0).values - self.value(obs)
            weights = awr_weights(adv, self.config.alpha, self.config.max_weight)
            return weighted_bc_loss(dist.log_prob(actions).sum(-1), weights)
        policy_actions = dist.mean.clamp(-1.0, 1.0)
        with frozen(self.critic):
            q = self.critic(obs, policy_actions).mean(dim=0)
        q_loss = -q.mean() / q.abs().mean().detach()
        return q_loss - self.config.alpha * dist.log_prob(actions).sum(-1).mean()

    def update(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        losses = {}
        for name, loss_fn in (
            ("value", self.value_loss),
            ("critic", self.critic_loss),
            ("actor", self.actor_loss),
        ):
            loss = loss_fn(batch)
            self.optimizers[name].zero_grad(set_to_none=True)
            loss.backward()
            self.optimizers[name].step()
            losses[f"{name}_loss"] = loss.item()
        polyak_update(self.target_critic, self.critic, self.config.tau)
        return losses

    @torch.no_grad()
    def act(self, obs: np.ndarray) -> np.ndarray:
        """The policy's mean action, clipped to [-1, 1]."""
        obs_t = torch.as_tensor(np.asarray(obs, dtype=np.float32)).reshape(-1, self.obs_dim)
        actions = self.actor(obs_t).mean.clamp(-1.0, 1.0).numpy()
        return actions.reshape(*np.shape(obs)[:-1], self.action_dim)
