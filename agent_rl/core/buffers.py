"""Replay buffers of transitions, in preallocated numpy arrays, sampled as torch batches.

One buffer serves offline RL (filled once from a dataset), online RL (a ring buffer that overwrites the
oldest transitions) and offline-to-online fine-tuning (seeded with the dataset, then appended to).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch


class TransitionBuffer:
    """Fixed-capacity ring buffer of named fields (observations, actions, rewards, masks, ...)."""

    def __init__(self, capacity: int, example: Mapping[str, np.ndarray], next_actions: bool = False):
        """`example` maps each field to one transition's value (its shape and dtype define the storage).

        With `next_actions`, batches also carry the action stored after each transition (ReBRAC's a'). As in the
        reference this reads the next slot, so at an episode's end it is the next episode's first action.
        """
        if capacity <= 0:
            raise ValueError(f"capacity must be positive, got {capacity}")
        self.capacity = capacity
        self.data = {
            k: np.zeros((capacity, *np.shape(v)), dtype=np.asarray(v).dtype) for k, v in example.items()
        }
        self.size = 0
        self.pointer = 0
        self.next_actions = next_actions

    @classmethod
    def from_dataset(
        cls, dataset: Mapping[str, np.ndarray], capacity: int | None = None, next_actions: bool = False
    ) -> TransitionBuffer:
        """A buffer holding a whole dataset (dict of equal-length arrays), with room up to `capacity`."""
        n = len(next(iter(dataset.values())))
        buffer = cls(max(capacity or n, n), {k: v[0] for k, v in dataset.items()}, next_actions)
        buffer.add_batch(dataset)
        return buffer

    def __len__(self) -> int:
        return self.size

    def add(self, transition: Mapping[str, np.ndarray | float]) -> None:
        for k, store in self.data.items():
            store[self.pointer] = transition[k]
        self.pointer = (self.pointer + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def add_batch(self, batch: Mapping[str, np.ndarray]) -> None:
        n = len(batch[next(iter(self.data))])
        idx = (self.pointer + np.arange(n)) % self.capacity
        for k, store in self.data.items():
            store[idx] = batch[k]
        self.pointer = int((self.pointer + n) % self.capacity)
        self.size = min(self.size + n, self.capacity)

    def sample(
        self, batch_size: int, rng: np.random.Generator, device: str | torch.device = "cpu"
    ) -> dict[str, torch.Tensor]:
        """Uniformly sampled transitions (with replacement), as float32 tensors except integer fields."""
        if self.size == 0:
            raise ValueError("cannot sample from an empty buffer")
        idx = rng.integers(0, self.size, size=batch_size)
        batch = {k: v[idx] for k, v in self.data.items()}
        if self.next_actions:
            batch["next_actions"] = self.data["actions"][np.minimum(idx + 1, self.size - 1)]
        return {k: torch.as_tensor(v).to(device, non_blocking=True) for k, v in batch.items()}

    def state_dict(self) -> dict:
        return {"data": {k: v[: self.size] for k, v in self.data.items()}, "pointer": self.pointer}

    def load_state_dict(self, state: dict) -> None:
        n = len(next(iter(state["data"].values())))
        for k, v in state["data"].items():
            self.data[k][:n] = v
        self.size, self.pointer = n, state["pointer"]
