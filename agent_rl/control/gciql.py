"""GCIQL: goal-conditioned IQL (OGBench's reference agent), in PyTorch: IQL's losses on (state, goal) inputs.

The value and critic see value goals (current/future/random, `agent_rl.core.gc_buffer`); the actor sees its own
actor goals (half future states of the trajectory, half random states) and is extracted by DDPG+BC
(α 0.3) by default, or AWR. The losses are IQL's exactly (`agent_rl.control.iql`), with the goal concatenated to
the state.
"""

from __future__ import annotations

from typing import Literal

import torch

from agent_rl.control.agent import GoalAgent
from agent_rl.control.iql import IQL, IQLConfig
from agent_rl.core.bounds import Count, NonNegative
from agent_rl.core.gc_buffer import GoalConfig


class GCIQLConfig(IQLConfig):
    """OGBench's `get_config()` defaults for GCIQL."""

    batch_size: Count = 1024
    actor_hidden: tuple[Count, ...] = (512, 512, 512)
    critic_hidden: tuple[Count, ...] = (512, 512, 512)
    extraction: Literal["awr", "ddpgbc"] = "ddpgbc"
    alpha: NonNegative = 0.3
    goals: GoalConfig = GoalConfig(actor_p_curgoal=0.0, actor_p_trajgoal=0.5, actor_p_randomgoal=0.5)


def get_config() -> GCIQLConfig:
    return GCIQLConfig()


def _with_goals(batch: dict[str, torch.Tensor], key: str) -> dict[str, torch.Tensor]:
    """The batch as IQL sees it: states (and next states) with `key`'s goals appended."""
    goals = batch[key]
    return {
        **batch,
        "observations": torch.cat([batch["observations"], goals], dim=-1),
        "next_observations": torch.cat([batch["next_observations"], goals], dim=-1),
    }


class GCIQL(GoalAgent, IQL):
    def __init__(self, obs_dim: int, action_dim: int, config: GCIQLConfig | None = None, device="cpu"):
        IQL.__init__(self, 2 * obs_dim, action_dim, config or GCIQLConfig(), device)
        self.obs_dim = obs_dim

    def total_loss(self, batch):
        return self.summed_losses(_with_goals(batch, "value_goals"), _with_goals(batch, "actor_goals"))

    def _actions(self, obs, goal, explore):
        return IQL._actions(self, torch.cat([obs, goal], dim=-1), explore)
