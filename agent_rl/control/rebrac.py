"""ReBRAC: Revisited Behavior-Regularized Actor-Critic (Tarasov et al.), in PyTorch.

TD3+BC with the design choices that made it strong: LayerNorm critics, large batches, separate behaviour
penalties on the actor (‖π(s) − a‖²) and inside the critic target (‖π(s') − a'‖², with a' the dataset's next
action), target policy smoothing and delayed actor updates.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from agent_rl.control.fql import frozen
from agent_rl.core.losses import polyak_update, td_target
from agent_rl.core.networks import Critic, mlp


@dataclass
class ReBRACConfig:
    lr: float = 3e-4
    batch_size: int = 256
    actor_hidden: tuple[int, ...] = (512, 512, 512, 512)
    critic_hidden: tuple[int, ...] = (512, 512, 512, 512)
    critic_layer_norm: bool = True
    discount: float = 0.99
    tau: float = 0.005
    alpha_actor: float = 1.0
    alpha_critic: float = 1.0
    actor_freq: int = 2
    noise_std: float = 0.2
    noise_clip: float = 0.5


class ReBRAC(nn.Module):
    needs_next_actions = True

    def __init__(self, obs_dim: int, action_dim: int, config: ReBRACConfig | None = None):
        super().__init__()
        self.config = cfg = config or ReBRACConfig()
        self.obs_dim, self.action_dim = obs_dim, action_dim
        self.critic = Critic(obs_dim, action_dim, cfg.critic_hidden, 2, cfg.critic_layer_norm)
        self.target_critic = copy.deepcopy(self.critic).requires_grad_(False)
        self.actor = nn.Sequential(mlp(obs_dim, cfg.actor_hidden, action_dim, layer_norm=True), nn.Tanh())
        self.target_actor = copy.deepcopy(self.actor).requires_grad_(False)
        self.optimizers = {
            "critic": torch.optim.Adam(self.critic.parameters(), lr=cfg.lr),
            "actor": torch.optim.Adam(self.actor.parameters(), lr=cfg.lr),
        }
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))

    def critic_loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        cfg = self.config
        with torch.no_grad():
            next_actions = self.target_actor(batch["next_observations"])
            noise = (torch.randn_like(next_actions) * cfg.noise_std).clamp(-cfg.noise_clip, cfg.noise_clip)
            next_actions = (next_actions + noise).clamp(-1.0, 1.0)
            next_q = self.target_critic(batch["next_observations"], next_actions).min(dim=0).values
            penalty = (next_actions - batch["next_actions"]).pow(2).sum(-1)
            target = td_target(
                batch["rewards"], batch["masks"], next_q - cfg.alpha_critic * penalty, cfg.discount
            )
        q = self.critic(batch["observations"], batch["actions"])
        return (q - target).pow(2).sum(dim=0).mean()

    def actor_loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        actions = self.actor(batch["observations"])
        with frozen(self.critic):
            q = self.critic(batch["observations"], actions).min(dim=0).values
        bc = (actions - batch["actions"]).pow(2).sum(-1).mean()
        return -q.mean() / q.abs().mean().detach() + self.config.alpha_actor * bc

    def update(self, batch: dict[str, torch.Tensor]) -> dict[str, float]:
        critic_loss = self.critic_loss(batch)
        self.optimizers["critic"].zero_grad(set_to_none=True)
        critic_loss.backward()
        self.optimizers["critic"].step()
        metrics = {"critic_loss": critic_loss.item()}
        self.steps += 1
        if int(self.steps) % self.config.actor_freq == 0:
            actor_loss = self.actor_loss(batch)
            self.optimizers["actor"].zero_grad(set_to_none=True)
            actor_loss.backward()
            self.optimizers["actor"].step()
            polyak_update(self.target_actor, self.actor, self.config.tau)
            polyak_update(self.target_critic, self.critic, self.config.tau)
            metrics["actor_loss"] = actor_loss.item()
        return metrics

    @torch.no_grad()
    def act(self, obs: np.ndarray) -> np.ndarray:
        obs_t = torch.as_tensor(np.asarray(obs, dtype=np.float32)).reshape(-1, self.obs_dim)
        return self.actor(obs_t).numpy().reshape(*np.shape(obs)[:-1], self.action_dim)
