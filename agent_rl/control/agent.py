"""What every control agent shares: one optimiser over all its networks, one gradient step on the summed loss,
targets moved from the pre-step networks, and numpy-in/numpy-out acting on the agent's device.

This is how the reference code trains: `total_loss` sums the critic and actor losses, one Adam step updates
every network, and each target network then moves by Polyak averaging towards its network as it was *before*
the step. Subclasses give `total_loss`, `targets` and `_actions`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict
from torch import nn

from agent_rl.core.bounds import Count, LearningRate, Probability
from agent_rl.core.losses import polyak_update

Precision = Literal["float32", "bf16"]


class Agent(nn.Module):
    needs_next_actions = False  # ReBRAC's critic penalty needs the dataset's next action
    precision: Precision = "float32"  # the reference's; `set_precision("bf16")` for mixed precision

    def __init__(self, obs_dim: int, action_dim: int, config, device: torch.device | str = "cpu"):
        super().__init__()
        self.config, self.obs_dim, self.action_dim = config, obs_dim, action_dim
        self.device = torch.device(device)

    def _finish_init(self) -> None:
        """Move to the device and build the one optimiser (call at the end of a subclass's __init__)."""
        self.to(self.device)
        params = [p for p in self.parameters() if p.requires_grad]
        fused = self.device.type in ("cuda", "cpu")
        self.optimizer = torch.optim.Adam(params, lr=self.config.lr, fused=fused)
        self.optimizers = {"all": self.optimizer}  # what a checkpoint saves

    def targets(self) -> list[tuple[nn.Module, nn.Module]]:
        """(target, online) pairs that move by Polyak averaging after each step."""
        return []

    def total_loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        raise NotImplementedError

    def set_precision(self, precision: Precision) -> Agent:
        """bf16: the losses run under bf16 autocast (AMX on a recent CPU, tensor cores on CUDA), the same code on
        both; weights, gradients, the optimiser and every network's output layer stay float32."""
        self.precision = precision
        return self

    def compile(self, **options) -> Agent:
        """Fuse the loss and its backward with torch.compile. The optimiser step (fused Adam) and the target move
        (one foreach lerp) are already one op each. Random draws fall back to torch's generator, so a compiled
        update matches an eager one on the same seed."""
        inductor = {"fallback_random": True, **options.pop("options", {})}
        self._loss = torch.compile(self._loss, options=inductor, **options)
        return self

    def _loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        with torch.autocast(self.device.type, torch.bfloat16, enabled=self.precision == "bf16"):
            return self.total_loss(batch)

    def update(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """One gradient step on the summed loss; targets move from the pre-step networks. Metrics stay tensors."""
        loss, info = self._loss(batch)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self._move_targets()
        self.optimizer.step()
        return info

    def _move_targets(self) -> None:
        for target, online in self.targets():
            polyak_update(target, online, self.config.tau)

    def _actions(self, obs: torch.Tensor, explore: bool) -> torch.Tensor:
        raise NotImplementedError

    @torch.no_grad()
    def act(self, obs: np.ndarray, explore: bool = False) -> np.ndarray:
        """Actions in [-1, 1] for one observation or a batch; `explore` for online data collection."""
        obs_t = torch.as_tensor(np.asarray(obs, dtype=np.float32), device=self.device).reshape(
            -1, self.obs_dim
        )
        actions = self._actions(obs_t, explore).clamp(-1.0, 1.0).cpu().numpy()
        return actions.reshape(*np.shape(obs)[:-1], self.action_dim)


class GoalValueConfig(BaseModel):
    """What OGBench's value-based goal-conditioned agents share, at their `get_config()` defaults."""

    model_config = ConfigDict(extra="forbid")
    lr: LearningRate = 3e-4
    batch_size: Count = 1024
    actor_hidden: tuple[Count, ...] = (512, 512, 512)
    value_hidden: tuple[Count, ...] = (512, 512, 512)
    layer_norm: bool = True
    discount: Probability = 0.99
    const_std: bool = True


class GoalAgent(Agent):
    """A goal-conditioned agent: acts on (observation, goal) pairs."""

    @torch.no_grad()
    def act(self, obs: np.ndarray, goal: np.ndarray, explore: bool = False) -> np.ndarray:
        def tensor(x):
            return torch.as_tensor(np.asarray(x, dtype=np.float32), device=self.device).reshape(
                -1, self.obs_dim
            )

        actions = self._actions(tensor(obs), tensor(goal), explore).clamp(-1.0, 1.0).cpu().numpy()
        return actions.reshape(*np.shape(obs)[:-1], self.action_dim)
