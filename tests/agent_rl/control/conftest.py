"""Fixed batches shared by the agents' tests: plain transitions, and goal-conditioned ones."""

import pytest
import torch

GOAL_KEYS = ("value_goals", "actor_goals", "low_actor_goals", "high_actor_goals", "high_actor_targets")


@pytest.fixture
def goal_batch() -> dict[str, torch.Tensor]:
    """32 transitions (observation 4, action 2) with every goal key an agent reads; reward −1, mask 1."""
    n, g = 32, torch.Generator().manual_seed(0)
    obs = torch.randn(n, 4, generator=g)
    return {
        "observations": obs,
        "next_observations": obs + 0.1,
        "actions": torch.rand(n, 2, generator=g) * 2 - 1,
        **{key: torch.randn(n, 4, generator=g) for key in GOAL_KEYS},
        "rewards": -torch.ones(n),
        "masks": torch.ones(n),
    }


@pytest.fixture
def transition_batch() -> dict[str, torch.Tensor]:
    """32 transitions (observation 6, action 3) with random rewards in [-1, 0] and mask 1."""
    n, g = 32, torch.Generator().manual_seed(1)
    return {
        "observations": torch.randn(n, 6, generator=g),
        "next_observations": torch.randn(n, 6, generator=g),
        "actions": torch.rand(n, 3, generator=g) * 2 - 1,
        "rewards": -torch.rand(n, generator=g),
        "masks": torch.ones(n),
    }
