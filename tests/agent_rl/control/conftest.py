"""A fixed batch of goal-conditioned transitions, shared by the goal-conditioned agents' tests."""

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
