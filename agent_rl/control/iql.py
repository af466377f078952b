"""IQL: Implicit Q-Learning (Kostrikov et al.), in PyTorch, with AWR or DDPG+BC policy extraction, as the FQL
authors' reference code trains it.

Value learning never queries actions outside the dataset: V(s) is an upper expectile of the target critics'
min over dataset actions, and Q regresses onto r + γ·mask·V(s'). The policy is extracted either by
advantage-weighted regression (AWR, advantages from the current critic) or by DDPG+BC (maximise the min of the
critics near the data; the offline-RL bottlenecks paper found it generally better). The actor's std is fixed
at 1 by default (`const_std`), so the BC term is a plain squared error that never grows as a std shrinks.
"""

from __future__ import annotations

import copy
from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict

from agent_rl.control.agent import Agent
from agent_rl.core.bounds import Count, Expectile, LearningRate, NonNegative, Positive, Probability
from agent_rl.core.losses import awr_weights, expectile_loss, td_target, weighted_bc_loss
from agent_rl.core.networks import Critic, GaussianActor, Value


class IQLConfig(BaseModel):
    """The reference's `get_config()` defaults; per-task values live in `agent_rl.control.presets`."""

    model_config = ConfigDict(extra="forbid")
    lr: LearningRate = 3e-4
    batch_size: Count = 256
    actor_hidden: tuple[Count, ...] = (512, 512, 512, 512)
    critic_hidden: tuple[Count, ...] = (512, 512, 512, 512)
    critic_layer_norm: bool = True
    actor_layer_norm: bool = False
    discount: Probability = 0.99
    tau: Probability = 0.005
    expectile: Expectile = 0.9
    extraction: Literal["awr", "ddpgbc"] = "awr"
    alpha: NonNegative = 10.0  # AWR inverse temperature, or the BC weight for DDPG+BC
    max_weight: Positive = 100.0
    const_std: bool = True


def get_config() -> IQLConfig:
    return IQLConfig()


class IQL(Agent):
    def __init__(self, obs_dim: int, action_dim: int, config: IQLConfig | None = None, device="cpu"):
        cfg = config or IQLConfig()
        super().__init__(obs_dim, action_dim, cfg, device)
        self.critic = Critic(obs_dim + action_dim, cfg.critic_hidden, 2, cfg.critic_layer_norm)
        self.target_critic = copy.deepcopy(self.critic).requires_grad_(False)
        self.value = Value(obs_dim, cfg.critic_hidden, cfg.critic_layer_norm)
        self.actor = GaussianActor(obs_dim, cfg.actor_hidden, action_dim, cfg.actor_layer_norm, cfg.const_std)
        self._finish_init()

    def targets(self):
        return [(self.target_critic, self.critic)]

    def value_loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        with torch.no_grad():
            q = self.target_critic(batch["observations"], batch["actions"]).min(dim=0).values
        return expectile_loss(q - self.value(batch["observations"]), self.config.expectile)

    def critic_loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """(loss, mean Q); the reference sums its two critics' squared errors here (FQL and ReBRAC average)."""
        with torch.no_grad():
            next_v = self.value(batch["next_observations"])
            target = td_target(batch["rewards"], batch["masks"], next_v, self.config.discount)
        q = self.critic(batch["observations"], batch["actions"])
        return (q - target).pow(2).sum(dim=0).mean(), q.detach().mean()

    def actor_loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        obs, actions = batch["observations"], batch["actions"]
        dist = self.actor.dist(obs)
        log_prob = dist.log_prob(actions).sum(-1)
        if self.config.extraction == "awr":
            with torch.no_grad():
                adv = self.critic(obs, actions).min(dim=0).values - self.value(obs)
            return weighted_bc_loss(log_prob, awr_weights(adv, self.config.alpha, self.config.max_weight))
        policy_actions = (dist.mean if self.config.const_std else dist.rsample()).clamp(-1.0, 1.0)
        q = self.critic(obs, policy_actions, detach_params=True).min(dim=0).values
        q_loss = -q.mean() / q.abs().mean().detach()
        return q_loss - self.config.alpha * log_prob.mean()

    def total_loss(self, batch):
        return self.summed_losses(batch, batch)

    def summed_losses(self, value_batch, actor_batch):
        """Value and critic losses on one batch, the actor's on another (GCIQL gives them different goals)."""
        value_loss = self.value_loss(value_batch)
        critic_loss, q_mean = self.critic_loss(value_batch)
        actor_loss = self.actor_loss(actor_batch)
        info = {
            "value_loss": value_loss,
            "critic_loss": critic_loss,
            "actor_loss": actor_loss,
            "q_mean": q_mean,
        }
        return value_loss + critic_loss + actor_loss, {k: v.detach() for k, v in info.items()}

    def _actions(self, obs: torch.Tensor, explore: bool) -> torch.Tensor:
        """The mean for evaluation; a sample at temperature 1 for online exploration."""
        return self.actor.dist(obs).sample() if explore else self.actor.mode(obs)
