"""A goal-conditioned offline buffer with OGBench's hindsight relabelling (its reference agents' `GCDataset`).

Each sampled transition gets two goals, each an observation of the dataset:
- value goals (for the critic): the current state with p_curgoal, a future state of the same trajectory with
  p_trajgoal (offset ~ Geometric(1 − γ), capped at the trajectory's last state, when value_geom_sample), or a
  uniformly random dataset state with p_randomgoal;
- actor goals (for the policy): the same three choices with their own proportions; by default always a future
  state of the trajectory, uniform between the next state and the last one.
The reward and mask follow from the value goal: success = (goal is the current state); mask = 1 − success;
reward = success − 1 with `gc_negative` (OGBench's default: 0 on success, −1 otherwise), else success.

With `subgoal_steps` k > 0 (HIQL's `HGCDataset`) a batch also carries the low-level goal (the state k steps
ahead, capped at the trajectory's end), a high-level goal (an actor goal as above, future or random) and the
high-level target (the state k steps ahead, capped at that goal when it is on the trajectory, else at the end).

With `subgoal_style: sharsa` (the horizon-reduction paper's `HGCDataset`) a batch instead carries the n-step
SARSA chunk towards the value goal g: the state `high_value_subgoals` reached by walking at most n = k steps
ahead, stopping early at g (when g lies ahead on the trajectory) or at the trajectory's end; the steps taken
`high_value_steps`; success = fewer than n steps were taken (g reached, or the trajectory ended: the reference's
rule); `high_value_masks` = 1 − success and `high_value_rewards` = γ^steps·success (with `gc_negative`:
−(1 − γ^steps)/(1 − γ)). The high-level actor target `high_actor_targets` is the same walk towards the actor
goal, and `low_actor_goals` the state n steps ahead (capped at the end). `low_value_goals` (double SHARSA) adds
one-step value goals whose future offsets are Geometric(1/n) (γ_low = 1 − 1/n), with their own success reward
and mask (`low_value_rewards`, `low_value_masks`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field, model_validator

from agent_rl.core.bounds import Probability


class GoalConfig(BaseModel):
    """OGBench's defaults (impls/agents/*.py get_config); each agent overrides a few."""

    model_config = ConfigDict(extra="forbid")
    discount: Probability = 0.99
    value_p_curgoal: float = Field(0.2, ge=0, le=1)
    value_p_trajgoal: float = Field(0.5, ge=0, le=1)
    value_p_randomgoal: float = Field(0.3, ge=0, le=1)
    value_geom_sample: bool = True
    actor_p_curgoal: float = Field(0.0, ge=0, le=1)
    actor_p_trajgoal: float = Field(1.0, ge=0, le=1)
    actor_p_randomgoal: float = Field(0.0, ge=0, le=1)
    actor_geom_sample: bool = False
    gc_negative: bool = True
    subgoal_steps: int = Field(0, ge=0)  # > 0: add the subgoal keys of `subgoal_style`
    subgoal_style: Literal["hiql", "sharsa"] = "hiql"
    low_value_goals: bool = False  # double SHARSA's one-step low-level value goals (needs subgoal_steps)

    @model_validator(mode="after")
    def _sums_to_one(self) -> GoalConfig:
        for kind in ("value", "actor"):
            total = sum(getattr(self, f"{kind}_p_{g}goal") for g in ("cur", "traj", "random"))
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"{kind} goal probabilities must sum to 1, got {total}")
        if self.low_value_goals and self.subgoal_steps < 1:
            raise ValueError("low_value_goals needs subgoal_steps ≥ 1 (γ_low = 1 − 1/subgoal_steps)")
        return self

    @property
    def low_discount(self) -> float:
        """The low level's discount 1 − 1/n (set from the subgoal steps, as the reference does)."""
        return 1.0 - 1.0 / self.subgoal_steps


class GoalBuffer:
    """Transitions (`observations`, `actions`, `next_observations`, `terminals`, ...) with relabelled goals."""

    def __init__(self, dataset: Mapping[str, np.ndarray], config: GoalConfig | None = None):
        self.data = dict(dataset)
        self.config = config or GoalConfig()
        self.size = len(self.data["observations"])
        self.terminal_locs = np.nonzero(self.data["terminals"] > 0)[0]
        if len(self.terminal_locs) == 0 or self.terminal_locs[-1] != self.size - 1:
            raise ValueError("the dataset's last transition must end a trajectory (terminals[-1] = 1)")

    def final_state(self, idx: np.ndarray) -> np.ndarray:
        """Index of the last state of each index's trajectory."""
        return self.terminal_locs[np.searchsorted(self.terminal_locs, idx)]

    def sample_goals(
        self,
        idx: np.ndarray,
        rng: np.random.Generator,
        p_cur: float,
        p_traj: float,
        p_random: float,
        geom: bool,
        discount: float | None = None,
    ) -> np.ndarray:
        n = len(idx)
        random_goals = rng.integers(0, self.size, size=n)
        future = self.future_states(idx, rng, geom, discount)
        goals = np.where(rng.random(n) < p_traj / (1.0 - p_cur + 1e-6), future, random_goals)
        return np.where(rng.random(n) < p_cur, idx, goals)

    def future_states(
        self, idx: np.ndarray, rng: np.random.Generator, geom: bool, discount: float | None = None
    ) -> np.ndarray:
        """A later state of each index's trajectory: offset ~ Geometric(1 − γ) capped at the end, or uniform
        between the next state and the last one."""
        final = self.final_state(idx)
        if geom:
            gamma = self.config.discount if discount is None else discount
            return np.minimum(idx + rng.geometric(1.0 - gamma, size=len(idx)), final)
        u = rng.random(len(idx))
        return np.round(np.minimum(idx + 1, final) * u + final * (1.0 - u)).astype(int)

    def subgoal_indices(self, idx: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """HIQL's low-level goals, high-level goals and high-level targets (`subgoal_steps` ahead)."""
        cfg, final = self.config, self.final_state(idx)
        ahead = idx + cfg.subgoal_steps
        traj_goals = self.future_states(idx, rng, cfg.actor_geom_sample)
        pick_random = rng.random(len(idx)) < cfg.actor_p_randomgoal
        return {
            "low_actor_goals": np.minimum(ahead, final),
            "high_actor_goals": np.where(pick_random, rng.integers(0, self.size, size=len(idx)), traj_goals),
            "high_actor_targets": np.where(
                pick_random, np.minimum(ahead, final), np.minimum(ahead, traj_goals)
            ),
        }

    def steps_towards(self, idx: np.ndarray, goals: np.ndarray) -> np.ndarray:
        """Index reached by walking at most `subgoal_steps` ahead, stopping at the goal (when it lies ahead on
        the trajectory) or at the trajectory's end (the reference's `compute_high_next_idxs`)."""
        steps = np.minimum(self.config.subgoal_steps, self.final_state(idx) - idx)
        ahead = goals - idx
        return idx + np.where((ahead >= 0) & (ahead < steps), ahead, steps)

    def sharsa_indices(
        self, idx: np.ndarray, value_goals: np.ndarray, actor_goals: np.ndarray, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        """SHARSA's n-step value subgoals, high-level actor targets, low-level actor goals (and value goals)."""
        cfg = self.config
        ids = {
            "high_value_subgoals": self.steps_towards(idx, value_goals),
            "high_actor_targets": self.steps_towards(idx, actor_goals),
            "low_actor_goals": np.minimum(idx + cfg.subgoal_steps, self.final_state(idx)),
        }
        if cfg.low_value_goals:  # the value goals' proportions, future offsets geometric over γ_low
            ids["low_value_goals"] = self.sample_goals(
                idx,
                rng,
                cfg.value_p_curgoal,
                cfg.value_p_trajgoal,
                cfg.value_p_randomgoal,
                True,
                cfg.low_discount,
            )
        return ids

    def sample_indices(self, batch_size: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Transition, value-goal and actor-goal indices for one batch (what the tests check)."""
        cfg = self.config
        idx = rng.integers(0, self.size, size=batch_size)
        value = self.sample_goals(
            idx, rng, cfg.value_p_curgoal, cfg.value_p_trajgoal, cfg.value_p_randomgoal, cfg.value_geom_sample
        )
        actor = self.sample_goals(
            idx, rng, cfg.actor_p_curgoal, cfg.actor_p_trajgoal, cfg.actor_p_randomgoal, cfg.actor_geom_sample
        )
        ids = {"idx": idx, "value_goals": value, "actor_goals": actor}
        if not cfg.subgoal_steps:
            return ids
        if cfg.subgoal_style == "sharsa":
            return ids | self.sharsa_indices(idx, value, actor, rng)
        return ids | self.subgoal_indices(idx, rng)

    def _success(self, reached: np.ndarray) -> dict[str, np.ndarray]:
        """Mask and one-step reward of reaching a goal: 1 − reached, and reached (− 1 with `gc_negative`)."""
        reached = reached.astype(np.float32)
        return {"masks": 1.0 - reached, "rewards": reached - (1.0 if self.config.gc_negative else 0.0)}

    def n_step_chunk(self, steps: np.ndarray) -> dict[str, np.ndarray]:
        """SHARSA's n-step chunk: steps taken, success (fewer than n), its discounted reward, and the mask."""
        gamma, success = self.config.discount, (steps < self.config.subgoal_steps).astype(np.float32)
        if self.config.gc_negative:
            rewards = -(1.0 - gamma**steps) / (1.0 - gamma)
        else:
            rewards = gamma**steps * success
        return {
            "high_value_steps": steps.astype(np.float32),
            "high_value_rewards": rewards.astype(np.float32),
            "high_value_masks": 1.0 - success,
        }

    def sample(
        self, batch_size: int, rng: np.random.Generator, device: str | torch.device = "cpu"
    ) -> dict[str, torch.Tensor]:
        ids = self.sample_indices(batch_size, rng)
        idx, obs = ids["idx"], self.data["observations"]
        batch = {k: v[idx] for k, v in self.data.items()}
        batch |= {key: obs[ids[key]] for key in ids if key != "idx"}
        batch |= self._success(idx == ids["value_goals"])
        if "high_value_subgoals" in ids:
            batch |= self.n_step_chunk(ids["high_value_subgoals"] - idx)
        if "low_value_goals" in ids:
            low = self._success(idx == ids["low_value_goals"])
            batch |= {"low_value_masks": low["masks"], "low_value_rewards": low["rewards"]}
        return {k: torch.as_tensor(v).to(device, non_blocking=True) for k, v in batch.items()}
