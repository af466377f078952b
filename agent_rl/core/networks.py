"""Small torch building blocks for the control agents: MLPs and a critic ensemble."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def mlp(in_dim: int, hidden: Sequence[int], out_dim: int, layer_norm: bool = False) -> nn.Sequential:
    """Linear → (LayerNorm) → GELU for each hidden width, then a linear head."""
    layers: list[nn.Module] = []
    for width in hidden:
        layers.append(nn.Linear(in_dim, width))
        if layer_norm:
            layers.append(nn.LayerNorm(width))
        layers.append(nn.GELU())
        in_dim = width
    layers.append(nn.Linear(in_dim, out_dim))
    return nn.Sequential(*layers)


class Critic(nn.Module):
    """An ensemble of Q(s, a) MLPs; returns shape (ensemble, batch)."""

    def __init__(
        self, obs_dim: int, action_dim: int, hidden: Sequence[int], ensemble: int = 2, layer_norm: bool = True
    ):
        super().__init__()
        self.members = nn.ModuleList(
            mlp(obs_dim + action_dim, hidden, 1, layer_norm) for _ in range(ensemble)
        )

    def forward(self, obs: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        x = torch.cat([obs, actions], dim=-1)
        return torch.stack([m(x).squeeze(-1) for m in self.members])


class ValueNet(nn.Module):
    """V(s): one MLP, shape (batch,)."""

    def __init__(self, obs_dim: int, hidden: Sequence[int], layer_norm: bool = True):
        super().__init__()
        self.net = mlp(obs_dim, hidden, 1, layer_norm)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.net(obs).squeeze(-1)


class ConcatMLP(nn.Module):
    """An MLP over the concatenation of its inputs (e.g. a velocity field v(s, x_t, t) or μ(s, z))."""

    def __init__(self, in_dim: int, hidden: Sequence[int], out_dim: int, layer_norm: bool = False):
        super().__init__()
        self.net = mlp(in_dim, hidden, out_dim, layer_norm)

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat(inputs, dim=-1))
