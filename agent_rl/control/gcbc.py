"""GCBC: goal-conditioned behavioural cloning (OGBench's reference agent), in PyTorch.

A Gaussian actor π(a | s, g) (fixed std 1 by default, head at scale 0.01) maximises the likelihood of dataset
actions towards goals relabelled from the same trajectory's future (`agent_rl.core.gc_buffer`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from agent_rl.control.agent import GoalAgent
from agent_rl.core.bounds import Count, LearningRate, Probability
from agent_rl.core.gc_buffer import GoalConfig
from agent_rl.core.networks import GaussianActor


class GCBCConfig(BaseModel):
    """OGBench's `get_config()` defaults for GCBC."""

    model_config = ConfigDict(extra="forbid")
    lr: LearningRate = 3e-4
    batch_size: Count = 1024
    actor_hidden: tuple[Count, ...] = (512, 512, 512)
    discount: Probability = 0.99
    const_std: bool = True
    goals: GoalConfig = GoalConfig(
        value_p_curgoal=0.0, value_p_trajgoal=1.0, value_p_randomgoal=0.0, value_geom_sample=False
    )


def get_config() -> GCBCConfig:
    return GCBCConfig()


class GCBC(GoalAgent):
    def __init__(self, obs_dim: int, action_dim: int, config: GCBCConfig | None = None, device="cpu"):
        cfg = config or GCBCConfig()
        super().__init__(obs_dim, action_dim, cfg, device)
        self.actor = GaussianActor(2 * obs_dim, cfg.actor_hidden, action_dim, const_std=cfg.const_std)
        self._finish_init()

    def total_loss(self, batch):
        dist = self.actor.dist(batch["observations"], batch["actor_goals"])
        loss = -dist.log_prob(batch["actions"]).sum(-1).mean()
        return loss, {"actor_loss": loss.detach()}

    def _actions(self, obs, goal, explore):
        return self.actor.dist(obs, goal).sample() if explore else self.actor.mode(obs, goal)
