"""The transition buffer: ring overwrite, batch adds, sampling and state round trip."""

import numpy as np
import pytest
import torch

from agent_rl.core.buffers import TransitionBuffer


def _data(n: int, start: int = 0) -> dict[str, np.ndarray]:
    idx = np.arange(start, start + n, dtype=np.float32)
    return {"observations": np.stack([idx, -idx], 1), "rewards": idx}


def test_from_dataset_holds_everything_and_samples_matching_fields():
    buffer = TransitionBuffer.from_dataset(_data(10))
    assert len(buffer) == 10
    batch = buffer.sample(64, np.random.default_rng(0))
    assert batch["observations"].shape == (64, 2) and batch["observations"].dtype == torch.float32
    assert torch.equal(batch["observations"][:, 0], batch["rewards"])  # rows stay aligned across fields
    assert set(batch["rewards"].tolist()) <= set(range(10))


def test_ring_overwrites_the_oldest_transitions():
    buffer = TransitionBuffer(4, {"observations": np.zeros(2, np.float32), "rewards": np.float32(0)})
    buffer.add_batch(_data(3))
    buffer.add_batch(_data(3, start=3))  # 3, 4, 5 -> overwrite 0, 1 ... wraps
    assert len(buffer) == 4
    assert sorted(buffer.data["rewards"].tolist()) == [2.0, 3.0, 4.0, 5.0]
    buffer.add({"observations": np.array([9.0, -9.0]), "rewards": 9.0})
    assert sorted(buffer.data["rewards"].tolist()) == [3.0, 4.0, 5.0, 9.0]


def test_capacity_beyond_dataset_leaves_room_to_append_and_state_round_trips():
    buffer = TransitionBuffer.from_dataset(_data(3), capacity=5)
    buffer.add({"observations": np.array([7.0, -7.0]), "rewards": 7.0})
    copy = TransitionBuffer(5, {"observations": np.zeros(2, np.float32), "rewards": np.float32(0)})
    copy.load_state_dict(buffer.state_dict())
    assert len(copy) == 4 and copy.pointer == 4
    assert copy.data["rewards"][:4].tolist() == [0.0, 1.0, 2.0, 7.0]


def test_empty_buffer_refuses_to_sample():
    with pytest.raises(ValueError, match="empty"):
        TransitionBuffer(2, {"rewards": np.float32(0)}).sample(1, np.random.default_rng(0))
