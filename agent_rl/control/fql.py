"""FQL: Flow Q-Learning (Park, Li, Levine), in PyTorch, as the authors' reference code trains it.

Three networks:
- a flow BC policy, the velocity field v(s, x_t, t), trained by flow matching on dataset actions;
- a one-step policy μ(s, z) that maps noise straight to an action; it is distilled from the flow policy's
  Euler integration and pushed up the critic;
- a critic ensemble Q(s, a) with a Polyak-averaged target copy.

Two stop-gradients matter (a common porting bug): the distillation target (the Euler integration) is
detached, and the actor loss leaves the critic's parameters without gradient. Critic and actor losses are
summed and take one optimiser step (see `agent_rl.control.agent`).
"""

from __future__ import annotations

import copy
from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict

from agent_rl.control.agent import Agent
from agent_rl.core.bounds import Count, LearningRate, NonNegative, Probability
from agent_rl.core.losses import euler_flow, flow_matching_loss, td_target
from agent_rl.core.networks import MLP, Critic


class FQLConfig(BaseModel):
    """The reference's `get_config()` defaults; per-task values live in `agent_rl.control.presets`."""

    model_config = ConfigDict(extra="forbid")
    lr: LearningRate = 3e-4
    batch_size: Count = 256
    actor_hidden: tuple[Count, ...] = (512, 512, 512, 512)
    critic_hidden: tuple[Count, ...] = (512, 512, 512, 512)
    critic_layer_norm: bool = True
    actor_layer_norm: bool = False
    num_critics: Count = 2
    discount: Probability = 0.99
    tau: Probability = 0.005
    q_agg: Literal["mean", "min"] = "mean"
    alpha: NonNegative = 10.0  # distillation weight
    flow_steps: Count = 10
    normalize_q_loss: bool = False


def get_config() -> FQLConfig:
    return FQLConfig()


class FQL(Agent):
    def __init__(self, obs_dim: int, action_dim: int, config: FQLConfig | None = None, device="cpu"):
        cfg = config or FQLConfig()
        super().__init__(obs_dim, action_dim, cfg, device)
        self.critic = Critic(obs_dim + action_dim, cfg.critic_hidden, cfg.num_critics, cfg.critic_layer_norm)
        self.target_critic = copy.deepcopy(self.critic).requires_grad_(False)
        self.actor_bc_flow = MLP(obs_dim + action_dim + 1, cfg.actor_hidden, action_dim, cfg.actor_layer_norm)
        self.actor_onestep = MLP(obs_dim + action_dim, cfg.actor_hidden, action_dim, cfg.actor_layer_norm)
        self._finish_init()

    def targets(self):
        return [(self.target_critic, self.critic)]

    def _noise(self, n: int) -> torch.Tensor:
        """Gaussian noise z (one place for all of FQL's randomness, with `_times`)."""
        return torch.randn(n, self.action_dim, device=self.device)

    def _times(self, n: int) -> torch.Tensor:
        return torch.rand(n, 1, device=self.device)

    def flow_actions(self, obs: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Euler integration of the BC flow from noise at t=0 to an action at t=1 (never differentiated)."""
        return euler_flow(self.actor_bc_flow, obs, noise, self.config.flow_steps).clamp(-1.0, 1.0)

    def onestep_actions(self, obs: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        """μ(s, z), unclipped (clip before it meets the env or the critic)."""
        return self.actor_onestep(obs, self._noise(len(obs)) if noise is None else noise)

    def _aggregate(self, qs: torch.Tensor) -> torch.Tensor:
        return qs.min(dim=0).values if self.config.q_agg == "min" else qs.mean(dim=0)

    def critic_loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        with torch.no_grad():
            next_actions = self.onestep_actions(batch["next_observations"]).clamp(-1.0, 1.0)
            next_q = self._aggregate(self.target_critic(batch["next_observations"], next_actions))
            target = td_target(batch["rewards"], batch["masks"], next_q, self.config.discount)
        q = self.critic(batch["observations"], batch["actions"])
        loss = (q - target).pow(2).mean()  # mean over the ensemble and the batch
        return loss, {"critic_loss": loss.detach(), "q_mean": q.detach().mean()}

    def actor_loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        obs, actions = batch["observations"], batch["actions"]
        n = len(obs)
        t = self._times(n)
        bc_flow_loss = flow_matching_loss(self.actor_bc_flow, obs, self._noise(n), actions, t)
        noise = self._noise(n)
        target_actions = self.flow_actions(obs, noise)  # detached: no_grad inside
        policy_actions = self.onestep_actions(obs, noise)
        distill_loss = (policy_actions - target_actions).pow(2).mean()
        q = self.critic(obs, policy_actions.clamp(-1.0, 1.0), detach_params=True).mean(dim=0)
        q_loss = -q.mean()
        if self.config.normalize_q_loss:
            q_loss = q_loss / q.abs().mean().detach()
        loss = bc_flow_loss + self.config.alpha * distill_loss + q_loss
        info = {
            "actor_loss": loss,
            "bc_flow_loss": bc_flow_loss,
            "distill_loss": distill_loss,
            "q_loss": q_loss,
        }
        return loss, {k: v.detach() for k, v in info.items()}

    def total_loss(self, batch):
        critic_loss, info = self.critic_loss(batch)
        actor_loss, actor_info = self.actor_loss(batch)
        return critic_loss + actor_loss, {**info, **actor_info}

    def _actions(self, obs: torch.Tensor, explore: bool) -> torch.Tensor:
        """The one-step policy on fresh noise (FQL explores online with the same stochastic policy)."""
        return self.onestep_actions(obs)
