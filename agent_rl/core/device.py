"""The one device choice of the project: CUDA when there is a GPU, else the CPU.

`AGENT_RL_DEVICE` (e.g. `cpu`, `cuda:1`) overrides it, so a GPU machine can still run a CPU check.
"""

from __future__ import annotations

import os

import torch

from agent_rl.errors import UserError


def default_device() -> torch.device:
    """`AGENT_RL_DEVICE` if set, else `cuda` when available, else `cpu`."""
    name = os.environ.get("AGENT_RL_DEVICE") or ("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as err:
        raise UserError(f"AGENT_RL_DEVICE={name!r} is not a torch device: {err}") from err
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UserError(f"device {name!r} asked for, but torch sees no CUDA GPU here")
    return device


def resolve_device(name: str | None) -> torch.device:
    """A config's device field: None or 'auto' means `default_device()`."""
    return default_device() if name in (None, "auto") else torch.device(name)
