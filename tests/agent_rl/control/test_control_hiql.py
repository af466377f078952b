"""HIQL: the goal representation, both actors' losses on hand-computed cases, and gradient flow."""

import numpy as np
import pytest
import torch
from torch.distributions import Normal

from agent_rl.control.hiql import HIQL, HIQLConfig, length_normalize
from agent_rl.core.gc_buffer import GoalConfig

OBS, ACT, N = 4, 2, 32
SMALL = dict(actor_hidden=(8,), value_hidden=(8,), rep_dim=3)


def test_hiql_defaults_and_representation_length():
    cfg = HIQLConfig()
    assert (cfg.batch_size, cfg.value_hidden, cfg.expectile, cfg.goals.subgoal_steps) == (
        1024,
        (512,) * 3,
        0.7,
        25,
    )
    assert length_normalize(torch.tensor([[3.0, 4.0]])).norm().item() == pytest.approx(2**0.5)
    with pytest.raises(ValueError, match="subgoal_steps"):
        HIQL(OBS, ACT, HIQLConfig(**SMALL, goals=GoalConfig()))


def test_hiql_high_actor_loss_is_awr_on_the_target_representation(goal_batch):
    torch.manual_seed(0)
    agent = HIQL(OBS, ACT, HIQLConfig(**SMALL))
    with torch.no_grad():
        agent.high_actor.net.weights[-1].zero_()  # the proposed representation's mean is then 0
    b = goal_batch
    with torch.no_grad():
        adv = (
            agent.value(b["high_actor_targets"], b["high_actor_goals"])
            - agent.value(b["observations"], b["high_actor_goals"])
        ).mean(0)
        z = agent.value.rep(b["observations"], b["high_actor_targets"])
        expected = -(torch.exp(3.0 * adv).clamp(max=100) * Normal(0.0, 1.0).log_prob(z).sum(-1)).mean()
    assert agent.high_actor_loss(b).item() == pytest.approx(expected.item(), rel=1e-5)


@pytest.mark.parametrize("rep_grad", [False, True])
def test_hiql_gradient_flow(rep_grad, goal_batch):
    torch.manual_seed(0)
    agent = HIQL(OBS, ACT, HIQLConfig(**SMALL, low_actor_rep_grad=rep_grad))
    b = goal_batch
    agent.low_actor_loss(b).backward()
    assert all(p.grad is not None for p in agent.low_actor.parameters())
    assert all(p.grad is None for p in agent.value.heads.parameters())
    assert all((p.grad is not None) == rep_grad for p in agent.value.goal_rep.parameters())
    agent.zero_grad(set_to_none=True)
    agent.high_actor_loss(b).backward()
    assert all(p.grad is not None for p in agent.high_actor.parameters())
    assert all(p.grad is None for p in [*agent.value.parameters(), *agent.low_actor.parameters()])
    agent.zero_grad(set_to_none=True)
    agent.value_loss(b)[0].backward()
    assert all(p.grad is None for p in [*agent.low_actor.parameters(), *agent.high_actor.parameters()])
    assert all(p.grad is None for p in agent.target_value.parameters())
    assert all(p.grad is not None for p in agent.value.parameters())
    info = agent.update(b)
    assert set(info) == {"value_loss", "low_actor_loss", "high_actor_loss", "v_mean"}
    assert agent.act(np.zeros(OBS), np.ones(OBS)).shape == (ACT,)
