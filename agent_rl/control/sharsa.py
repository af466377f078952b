"""SHARSA (horizon reduction, Park et al.): hierarchical n-step SARSA with flow BC policies, in PyTorch.

Values are probabilities of reaching the goal, learned in-sample (SARSA: no max over actions) with a binary
cross-entropy on sigmoid outputs, over the dataset's own n-step chunks (`agent_rl.core.gc_buffer`, style
`sharsa`): from s towards goal g the chunk ends at the subgoal w = s_{t+k}, k ≤ n steps ahead (earlier at g or
at the trajectory's end).
- the high-level critic Q(s, g, w), two heads, regresses onto r + γ^k·mask·σ(V(w, g)) (V without gradient);
- the high-level value V(s, g) regresses onto the min over heads of σ(Q̄(s, g, w)) of the Polyak target critic;
- a high-level flow BC policy proposes subgoals w given (s, g); a low-level flow BC policy produces actions
  given (s, w), trained towards the state n steps ahead.
Acting draws 32 subgoals from the high-level flow, keeps the one with the highest min-head Q(s, g, w)
(rejection sampling), then integrates the low-level flow once. Every loss is summed into one Adam step; only the
critic has a target network. Goals and subgoals are full observations here (the paper's `oraclerep`
environments use a smaller goal representation).
"""

from __future__ import annotations

import copy
from typing import Any, Literal

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, model_validator
from torch import Tensor

from agent_rl.control.agent import GoalAgent
from agent_rl.core.bounds import Count, LearningRate, Probability
from agent_rl.core.gc_buffer import GoalConfig
from agent_rl.core.losses import euler_flow, flow_matching_loss
from agent_rl.core.networks import MLP, Critic, Value

SHARSA_GOALS = GoalConfig(
    discount=0.999,
    value_p_curgoal=0.2,
    value_p_trajgoal=0.5,
    value_p_randomgoal=0.3,
    value_geom_sample=False,
    actor_p_curgoal=0.0,
    actor_p_trajgoal=0.5,
    actor_p_randomgoal=0.5,
    actor_geom_sample=True,
    gc_negative=False,
    subgoal_steps=25,
    subgoal_style="sharsa",
)


class SHARSAConfig(BaseModel):
    """The reference's `get_config()` defaults (set on puzzle-4x5); γ is `discount`, shared with `goals`."""

    model_config = ConfigDict(extra="forbid")
    lr: LearningRate = 3e-4
    batch_size: Count = 1024
    actor_hidden: tuple[Count, ...] = (1024,) * 4
    value_hidden: tuple[Count, ...] = (1024,) * 4
    layer_norm: bool = True  # in every network, the flows included
    discount: Probability = 0.999
    tau: Probability = 0.005
    q_agg: Literal["min", "mean"] = "min"  # over the target critic's heads, in the value's target
    flow_steps: Count = 10
    num_samples: Count = 32  # rejection-sampling candidates per decision
    goals: GoalConfig = SHARSA_GOALS

    @model_validator(mode="before")
    @classmethod
    def _goal_overrides(cls, data: Any) -> Any:
        """A `goals` mapping overrides this agent's relabelling defaults, not GoalConfig's generic ones."""
        if isinstance(data, dict) and isinstance(data.get("goals"), dict):
            goals, discount = data["goals"], data.get("discount", cls.model_fields["discount"].default)
            if goals.get("discount", discount) != discount:
                raise ValueError("set the discount as `discount`: goals.discount follows it")
            data = {**data, "goals": {**cls.model_fields["goals"].default.model_dump(), **goals}}
        return data

    @model_validator(mode="after")
    def _one_discount(self) -> SHARSAConfig:
        self.goals = self.goals.model_copy(update={"discount": self.discount})
        if self.goals.subgoal_style != "sharsa" or self.goals.subgoal_steps < 1:
            raise ValueError("SHARSA needs goals.subgoal_style: sharsa and goals.subgoal_steps ≥ 1")
        return self


def get_config() -> SHARSAConfig:
    return SHARSAConfig()


def sarsa_value_loss(
    value: Value, target_critic: Critic, obs: Tensor, goals: Tensor, actions: Tensor, q_agg: str
) -> tuple[Tensor, Tensor]:
    """BCE of V(s, g) onto the target critic's aggregated σ(Q̄(s, g, a)) at the dataset's action a."""
    with torch.no_grad():
        qs = torch.sigmoid(target_critic(obs, goals, actions))
        q = qs.min(dim=0).values if q_agg == "min" else qs.mean(dim=0)
    logits = value(obs, goals)
    return F.binary_cross_entropy_with_logits(logits, q), torch.sigmoid(logits.detach()).mean()


def sarsa_critic_loss(
    critic: Critic,
    value: Value,
    obs: Tensor,
    goals: Tensor,
    actions: Tensor,
    next_obs: Tensor,
    rewards: Tensor,
    discounts: Tensor | float,
    masks: Tensor,
) -> tuple[Tensor, Tensor]:
    """Sum over heads of the BCE of Q(s, g, a) onto r + discount·mask·σ(V(s', g)); V gets no gradient."""
    with torch.no_grad():
        target = rewards + discounts * masks * torch.sigmoid(value(next_obs, goals))
    logits = critic(obs, goals, actions)  # (heads, batch)
    per_head = F.binary_cross_entropy_with_logits(logits, target.expand_as(logits), reduction="none")
    return per_head.mean(dim=1).sum(), target.mean()


def best_candidate(critic: Critic, obs: Tensor, goals: Tensor, candidates: Tensor) -> Tensor:
    """Per state, the candidate (axis 0 of `candidates`, shape (samples, batch, dim)) with the highest min-head Q."""
    samples, batch = candidates.shape[:2]

    def flat(x: Tensor) -> Tensor:  # (batch, d) or (samples, batch, d) -> (samples·batch, d)
        return x.expand(samples, batch, x.shape[-1]).reshape(samples * batch, -1)

    q = critic(flat(obs), flat(goals), flat(candidates)).min(dim=0).values
    best = q.reshape(samples, batch).argmax(dim=0)
    return candidates[best, torch.arange(batch, device=candidates.device)]


class SHARSA(GoalAgent):
    def __init__(self, obs_dim: int, action_dim: int, config: SHARSAConfig | None = None, device="cpu"):
        cfg = config or SHARSAConfig()
        super().__init__(obs_dim, action_dim, cfg, device)
        self._build_networks()
        self._finish_init()

    def _build_networks(self) -> None:
        cfg, obs_dim, action_dim = self.config, self.obs_dim, self.action_dim
        value_hidden, actor_hidden, ln = cfg.value_hidden, cfg.actor_hidden, cfg.layer_norm
        self.high_value = Value(2 * obs_dim, value_hidden, ln)  # V(s, g), a logit
        self.high_critic = Critic(3 * obs_dim, value_hidden, 2, ln)  # Q(s, g, w), two logits
        self.target_high_critic = copy.deepcopy(self.high_critic).requires_grad_(False)
        self.high_actor_flow = MLP(3 * obs_dim + 1, actor_hidden, obs_dim, ln)  # v(s, g, w_t, t)
        self.low_actor_flow = MLP(
            2 * obs_dim + action_dim + 1, actor_hidden, action_dim, ln
        )  # v(s, w, a_t, t)

    def targets(self):
        return [(self.target_high_critic, self.high_critic)]

    def _noise(self, *shape: int) -> Tensor:
        return torch.randn(*shape, device=self.device)

    def _times(self, n: int) -> Tensor:
        return torch.rand(n, 1, device=self.device)

    def high_value_loss(self, batch):
        return sarsa_value_loss(
            self.high_value,
            self.target_high_critic,
            batch["observations"],
            batch["value_goals"],
            batch["high_value_subgoals"],
            self.config.q_agg,
        )

    def high_critic_loss(self, batch):
        return sarsa_critic_loss(
            self.high_critic,
            self.high_value,
            batch["observations"],
            batch["value_goals"],
            batch["high_value_subgoals"],
            batch["high_value_subgoals"],  # the chunk's last state is the high-level action
            batch["high_value_rewards"],
            self.config.discount ** batch["high_value_steps"],
            batch["high_value_masks"],
        )

    def flow_bc_loss(self, flow: MLP, obs: Tensor, goals: Tensor, targets: Tensor) -> Tensor:
        """Flow matching of `targets` given (s, goal) on the straight noise-to-data path."""
        n, dim = targets.shape
        return flow_matching_loss(
            flow, torch.cat([obs, goals], -1), self._noise(n, dim), targets, self._times(n)
        )

    def actor_losses(self, batch) -> tuple[Tensor, Tensor]:
        obs = batch["observations"]
        high = self.flow_bc_loss(self.high_actor_flow, obs, batch["actor_goals"], batch["high_actor_targets"])
        low = self.flow_bc_loss(self.low_actor_flow, obs, batch["low_actor_goals"], batch["actions"])
        return high, low

    def total_loss(self, batch):
        value_loss, v_mean = self.high_value_loss(batch)
        critic_loss, q_target = self.high_critic_loss(batch)
        high_actor, low_actor = self.actor_losses(batch)
        info = {
            "high_value_loss": value_loss.detach(),
            "high_critic_loss": critic_loss.detach(),
            "high_actor_loss": high_actor.detach(),
            "low_actor_loss": low_actor.detach(),
            "v_mean": v_mean,
            "q_mean": q_target,  # the mean n-step target, as the reference logs it
        }
        return value_loss + critic_loss + high_actor + low_actor, info

    def sample_flow(
        self, flow: MLP, obs: Tensor, cond: Tensor, dim: int, samples: int | None = None
    ) -> Tensor:
        """Integrate a flow policy from fresh noise: (batch, dim), or (samples, batch, dim) candidates."""
        cond = torch.cat([obs, cond], -1)
        if samples is not None:
            cond = cond.expand(samples, *cond.shape)
        return euler_flow(flow, cond, self._noise(*cond.shape[:-1], dim), self.config.flow_steps)

    def subgoals(self, obs: Tensor, goals: Tensor) -> Tensor:
        """Rejection sampling: `num_samples` flow subgoals per state, the one with the highest min-head Q."""
        candidates = self.sample_flow(self.high_actor_flow, obs, goals, self.obs_dim, self.config.num_samples)
        return best_candidate(self.high_critic, obs, goals, candidates)

    def low_actions(self, obs: Tensor, subgoals: Tensor) -> Tensor:
        return self.sample_flow(self.low_actor_flow, obs, subgoals, self.action_dim)

    def _actions(self, obs, goal, explore):
        return self.low_actions(obs, self.subgoals(obs, goal))  # always sampled: flows have no mode
