"""ReBRAC: Revisited Behavior-Regularized Actor-Critic (Tarasov et al.), in PyTorch, as the FQL authors'
reference code trains it.

TD3+BC with the design choices that made it strong: LayerNorm critics (the actor has none), separate behaviour
penalties on the actor (α_actor·‖π(s) − a‖²) and inside the critic target (α_critic·‖π(s') − a'‖², a' the
dataset's next action), target policy smoothing and a policy delay: every `actor_freq`-th step is a full update
(critic and actor losses, both targets move), the others update the critic only. Both weights are per task.
"""

from __future__ import annotations

import copy

import torch
from pydantic import BaseModel, ConfigDict

from agent_rl.control.agent import Agent
from agent_rl.core.bounds import Count, LearningRate, NonNegative, Probability
from agent_rl.core.losses import td_target
from agent_rl.core.networks import Critic, GaussianActor


class ReBRACConfig(BaseModel):
    """The reference's `get_config()` defaults; per-task α's live in `agent_rl.control.presets`."""

    model_config = ConfigDict(extra="forbid")
    lr: LearningRate = 3e-4
    batch_size: Count = 256
    actor_hidden: tuple[Count, ...] = (512, 512, 512, 512)
    critic_hidden: tuple[Count, ...] = (512, 512, 512, 512)
    critic_layer_norm: bool = True
    actor_layer_norm: bool = False
    discount: Probability = 0.99
    tau: Probability = 0.005
    alpha_actor: NonNegative = 0.0  # per task (presets); the reference's default is a placeholder
    alpha_critic: NonNegative = 0.0
    actor_freq: Count = 2
    actor_noise: NonNegative = 0.2
    actor_noise_clip: NonNegative = 0.5


def get_config() -> ReBRACConfig:
    return ReBRACConfig()


class ReBRAC(Agent):
    needs_next_actions = True

    def __init__(self, obs_dim: int, action_dim: int, config: ReBRACConfig | None = None, device="cpu"):
        cfg = config or ReBRACConfig()
        super().__init__(obs_dim, action_dim, cfg, device)
        self.critic = Critic(obs_dim + action_dim, cfg.critic_hidden, 2, cfg.critic_layer_norm)
        self.target_critic = copy.deepcopy(self.critic).requires_grad_(False)
        self.actor = GaussianActor(
            obs_dim, cfg.actor_hidden, action_dim, cfg.actor_layer_norm, tanh_squash=True
        )
        self.target_actor = copy.deepcopy(self.actor).requires_grad_(False)
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))  # saved with the weights
        self._updates = 0  # its mirror on the host, so that no step waits on the device
        self._finish_init()

    def targets(self):
        return [(self.target_critic, self.critic), (self.target_actor, self.actor)]

    def _smoothed(self, actions: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
        cfg = self.config
        noise = (torch.randn_like(actions) * cfg.actor_noise * scale).clamp(
            -cfg.actor_noise_clip, cfg.actor_noise_clip
        )
        return (actions + noise).clamp(-1.0, 1.0)

    def critic_loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """(loss, mean Q)."""
        cfg = self.config
        with torch.no_grad():
            next_actions = self._smoothed(self.target_actor.mode(batch["next_observations"]))
            next_q = self.target_critic(batch["next_observations"], next_actions).min(dim=0).values
            penalty = (next_actions - batch["next_actions"]).pow(2).sum(-1)
            target = td_target(
                batch["rewards"], batch["masks"], next_q - cfg.alpha_critic * penalty, cfg.discount
            )
        q = self.critic(batch["observations"], batch["actions"])
        return (q - target).pow(2).mean(), q.detach().mean()  # mean over the ensemble and the batch

    def actor_loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        actions = self.actor.mode(batch["observations"])
        q = self.critic(batch["observations"], actions, detach_params=True).min(dim=0).values
        bc = (actions - batch["actions"]).pow(2).sum(-1).mean()
        return -q.mean() / q.abs().mean().detach() + self.config.alpha_actor * bc

    def total_loss(self, batch):
        critic_loss, q_mean = self.critic_loss(batch)
        info = {"critic_loss": critic_loss.detach(), "q_mean": q_mean}
        if not self._full_update():
            return critic_loss, info
        actor_loss = self.actor_loss(batch)
        info["actor_loss"] = actor_loss.detach()
        return critic_loss + actor_loss, info

    def _full_update(self) -> bool:
        """The reference counts steps from 1 and fully updates when the count is a multiple of actor_freq."""
        return (self._updates + 1) % self.config.actor_freq == 0

    def load_state_dict(self, state, strict: bool = True):
        result = super().load_state_dict(state, strict)
        self._updates = int(self.steps)
        return result

    def update(self, batch):
        """As the reference: the actor's Adam state steps on every update (zero actor gradients on critic-only
        steps, so its momentum still moves it); the targets move only on full updates."""
        full = self._full_update()
        loss, info = self._loss(batch)
        self.optimizer.zero_grad(set_to_none=False)
        loss.backward()
        for p in self.actor.parameters():
            if p.grad is None:  # before the first full update
                p.grad = torch.zeros_like(p)
        if full:
            self._move_targets()
        self.optimizer.step()
        self._updates += 1
        self.steps.fill_(self._updates)
        return info

    def _actions(self, obs: torch.Tensor, explore: bool) -> torch.Tensor:
        """The deterministic actor; online it adds the clipped target-smoothing noise (temperature 1)."""
        actions = self.actor.mode(obs)
        return self._smoothed(actions) if explore else actions
