"""Double SHARSA (horizon reduction, Park et al.): SHARSA with the same SARSA value and rejection sampling at
the action level, in PyTorch.

On top of SHARSA (`agent_rl.control.sharsa`) a low-level critic Q_l(s, w, a) (two heads, Polyak target) and
value V_l(s, w) learn one-step SARSA with BCE on sigmoid values, discount γ_l = 1 − 1/n, towards low-level
value goals whose future offsets are Geometric(1/n) (`GoalConfig.low_value_goals`):
Q_l regresses onto r + γ_l·mask·σ(V_l(s', w)), V_l onto the min over heads of σ(Q̄_l(s, w, a)).
Acting picks the subgoal as SHARSA does, then draws 32 actions from the low-level flow and keeps the one with
the highest min-head Q_l(s, w, a). The reference ships it as its own agent file (`dsharsa.py`); here it
subclasses SHARSA so the shared parts exist once.
"""

from __future__ import annotations

import copy

from torch import Tensor

from agent_rl.control.sharsa import (
    SHARSA,
    SHARSA_GOALS,
    SHARSAConfig,
    best_candidate,
    sarsa_critic_loss,
    sarsa_value_loss,
)
from agent_rl.core.gc_buffer import GoalConfig
from agent_rl.core.networks import Critic, Value


class DoubleSHARSAConfig(SHARSAConfig):
    """The reference's `get_config()` defaults: SHARSA's, plus the low-level value goals."""

    goals: GoalConfig = SHARSA_GOALS.model_copy(update={"low_value_goals": True})


def get_config() -> DoubleSHARSAConfig:
    return DoubleSHARSAConfig()


class DoubleSHARSA(SHARSA):
    def __init__(self, obs_dim: int, action_dim: int, config: DoubleSHARSAConfig | None = None, device="cpu"):
        cfg = config or DoubleSHARSAConfig()
        if not cfg.goals.low_value_goals:
            raise ValueError("double SHARSA needs goals.low_value_goals: true")
        super().__init__(obs_dim, action_dim, cfg, device)

    def _build_networks(self) -> None:
        super()._build_networks()
        cfg, obs_dim = self.config, self.obs_dim
        self.low_value = Value(2 * obs_dim, cfg.value_hidden, cfg.layer_norm)  # V_l(s, w)
        self.low_critic = Critic(
            2 * obs_dim + self.action_dim, cfg.value_hidden, 2, cfg.layer_norm
        )  # Q_l(s, w, a)
        self.target_low_critic = copy.deepcopy(self.low_critic).requires_grad_(False)

    def targets(self):
        return [*super().targets(), (self.target_low_critic, self.low_critic)]

    def low_value_loss(self, batch):
        return sarsa_value_loss(
            self.low_value,
            self.target_low_critic,
            batch["observations"],
            batch["low_value_goals"],
            batch["actions"],
            self.config.q_agg,
        )

    def low_critic_loss(self, batch):
        return sarsa_critic_loss(
            self.low_critic,
            self.low_value,
            batch["observations"],
            batch["low_value_goals"],
            batch["actions"],
            batch["next_observations"],
            batch["low_value_rewards"],
            self.config.goals.low_discount,
            batch["low_value_masks"],
        )

    def total_loss(self, batch):
        loss, info = super().total_loss(batch)
        value_loss, v_mean = self.low_value_loss(batch)
        critic_loss, q_target = self.low_critic_loss(batch)
        info |= {
            "low_value_loss": value_loss.detach(),
            "low_critic_loss": critic_loss.detach(),
            "low_v_mean": v_mean,
            "low_q_mean": q_target,
        }
        return loss + value_loss + critic_loss, info

    def low_actions(self, obs: Tensor, subgoals: Tensor) -> Tensor:
        """Rejection sampling: `num_samples` flow actions per state, the one with the highest min-head Q_l."""
        candidates = self.sample_flow(
            self.low_actor_flow, obs, subgoals, self.action_dim, self.config.num_samples
        )
        return best_candidate(self.low_critic, obs, subgoals, candidates)
