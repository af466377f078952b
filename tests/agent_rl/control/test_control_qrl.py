"""QRL: the interval quasimetric, its losses on hand-computed cases, and gradient flow."""

import math

import numpy as np
import pytest
import torch

from agent_rl.control.qrl import IQE, QRL, QRLConfig, interval_union_length

OBS, ACT, N = 4, 2, 32
SMALL = dict(actor_hidden=(8,), value_hidden=(8,), latent_dim=16, dim_per_component=4)


def test_interval_union_length_counts_overlaps_once():
    starts, ends = (
        torch.tensor([[1.0, 0.0, 5.0], [0.2, 0.0, 0.0]]),
        torch.tensor([[3.0, 2.0, 6.0], [0.5, 1.0, 0.0]]),
    )
    assert interval_union_length(starts, ends).tolist() == pytest.approx([4.0, 1.0])


def test_iqe_is_a_quasimetric():
    torch.manual_seed(0)
    iqe = IQE(4)
    with torch.no_grad():
        iqe.alpha_logit.fill_(0.3)
    x, y, z = torch.randn(3, 64, 16).unbind(0)
    assert torch.allclose(iqe(x, x), torch.zeros(64))
    assert (iqe(x, z) <= iqe(x, y) + iqe(y, z) + 1e-5).all()  # triangle inequality
    assert not torch.allclose(iqe(x, y), iqe(y, x))  # not symmetric
    # one component, hand-computed: intervals [0, 1] and [2, 2.5] (the second coordinate of y is below x)
    one = IQE(2)
    d = one(torch.tensor([[0.0, 2.0]]), torch.tensor([[1.0, 2.5]]))
    assert d.item() == pytest.approx(1.5)


def test_qrl_value_loss_and_dual_step_match_their_definitions(goal_batch):
    torch.manual_seed(0)
    agent = QRL(OBS, ACT, QRLConfig(**SMALL))
    with torch.no_grad():
        agent.log_lam.fill_(math.log(2.0))
    batch = goal_batch
    loss, info = agent.value_loss(batch)
    with torch.no_grad():
        d_neg = agent.value(batch["observations"], batch["value_goals"])
        d_pos = agent.value(batch["observations"], batch["next_observations"])
        pos = (torch.relu(d_pos - 1) ** 2).mean()
        expected = (100 * torch.nn.functional.softplus(5 - d_neg / 100)).mean() + 2 * pos + 2 * (0.05 - pos)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    loss.backward()
    # d/dlogλ of λ·(ε − constraint) = λ·(ε − constraint): λ rises only while the constraint is violated
    assert agent.log_lam.grad.item() == pytest.approx(2 * (0.05 - pos.item()), rel=1e-5)
    assert all(p.grad is None for p in agent.actor.parameters())
    assert all(p.grad is None for p in agent.dynamics.parameters())


def test_qrl_actor_moves_only_the_actor_and_dynamics_only_the_model(goal_batch):
    torch.manual_seed(0)
    agent = QRL(OBS, ACT, QRLConfig(**SMALL))
    batch = goal_batch
    agent.actor_loss(batch).backward()
    assert all(p.grad is not None for p in agent.actor.parameters())
    assert all(p.grad is None for p in [*agent.value.parameters(), *agent.dynamics.parameters()])
    agent.zero_grad(set_to_none=True)
    agent.dynamics_loss(batch).backward()
    assert all(p.grad is None for p in agent.actor.parameters()) and agent.log_lam.grad is None
    assert all(p.grad is not None for p in agent.dynamics.parameters())
    assert agent.value.phi.weights[0].grad is not None  # the latent is shaped by the model loss too
    info = agent.update(batch)
    assert {"value_loss", "dynamics_loss", "actor_loss", "lam"} <= set(info)
    assert agent.act(np.zeros(OBS), np.ones(OBS)).shape == (ACT,)
