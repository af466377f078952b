"""Online fine-tuning after offline pre-training, including WSRL (Zhou et al., "Efficient Online RL Fine-Tuning
Need Not Retain Offline Data").

Two recipes share one loop:
- the FQL paper's offline-to-online: the replay buffer starts as the offline dataset, one env step, one update;
- WSRL: the offline data is dropped; the buffer is warmed up with `warmup_steps` env steps of the pre-trained
  policy (no updates while warming up), then online RL runs at a high update-to-data ratio (`utd` updates per
  env step), which recovers quickly from the distribution shift without paying for offline data.

Framework-neutral: any agent with `act(obs, explore=True)` and `update(batch)`, any gymnasium-style env, any
buffer with `add` and `sample`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


class OnlineConfig(BaseModel):
    """How the online phase runs; `wsrl()` gives the WSRL paper's settings."""

    model_config = ConfigDict(extra="forbid")
    keep_offline_data: bool = True
    warmup_steps: int = Field(0, ge=0)  # env steps of the pre-trained policy before any online update
    utd: int = Field(1, ge=1)  # updates per env step after the warm-up

    @classmethod
    def wsrl(cls, warmup_steps: int = 5000, utd: int = 4) -> OnlineConfig:
        return cls(keep_offline_data=False, warmup_steps=warmup_steps, utd=utd)


class OnlineLoop:
    """Steps one env with the agent's exploration policy, stores transitions, and updates at the set ratio."""

    def __init__(self, agent, env, buffer, config: OnlineConfig, batch_size: int, seed: int, device="cpu"):
        self.agent, self.env, self.buffer, self.config = agent, env, buffer, config
        self.batch_size, self.device = batch_size, device
        self.obs, _ = env.reset(seed=seed)
        self.episode_return, self.returns = 0.0, []

    def step(self, online_step: int, rng: np.random.Generator) -> dict[str, Any] | None:
        """One env step (online step number `online_step`, from 0), then its updates; the last update's metrics."""
        action = self.agent.act(self.obs, explore=True)
        next_obs, reward, terminated, truncated, _ = self.env.step(action)
        self.buffer.add(
            {
                "observations": self.obs,
                "actions": action,
                "rewards": reward,
                "masks": 0.0 if terminated else 1.0,
                "next_observations": next_obs,
            }
        )
        self.episode_return += float(reward)
        if terminated or truncated:
            self.returns.append(self.episode_return)
            self.episode_return = 0.0
            next_obs, _ = self.env.reset()
        self.obs = next_obs
        if online_step < self.config.warmup_steps:
            return None
        metrics = None
        for _ in range(self.config.utd):
            metrics = self.agent.update(self.buffer.sample(self.batch_size, rng, self.device))
        return metrics
