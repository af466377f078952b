"""GCBC and GCIVL: losses on hand-computed cases and gradient flow."""

import math

import numpy as np
import pytest
import torch

from agent_rl.control.gcbc import GCBC, GCBCConfig
from agent_rl.control.gcivl import GCIVL, GCIVLConfig, weighted_expectile_loss

OBS, ACT, N = 4, 2, 32


def test_gcbc_loss_is_the_gaussian_negative_log_likelihood_with_unit_std(goal_batch):
    agent = GCBC(OBS, ACT, GCBCConfig(actor_hidden=(8,)))
    with torch.no_grad():
        agent.actor.net.weights[-1].zero_()  # the mean is then 0 everywhere
    batch = goal_batch
    loss, _ = agent.total_loss(batch)
    expected = 0.5 * batch["actions"].pow(2).sum(-1).mean() + ACT * 0.5 * math.log(2 * math.pi)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    assert agent.act(np.zeros(OBS), np.ones(OBS)).shape == (ACT,)


def test_weighted_expectile_loss_weights_by_the_advantage_sign():
    adv, diff = torch.tensor([1.0, -1.0]), torch.tensor([2.0, 2.0])
    assert weighted_expectile_loss(adv, diff, 0.9).item() == pytest.approx((0.9 * 4 + 0.1 * 4) / 2)


def test_gcivl_gradient_flow_and_one_joint_step(goal_batch):
    torch.manual_seed(0)
    agent = GCIVL(OBS, ACT, GCIVLConfig(actor_hidden=(8,), value_hidden=(8,), tau=0.5))
    batch = goal_batch
    agent.actor_loss(batch).backward()
    assert all(p.grad is None for p in agent.value.parameters())  # AWR weights are constants
    assert all(p.grad is not None for p in agent.actor.parameters())
    agent.zero_grad(set_to_none=True)
    agent.value_loss(batch)[0].backward()
    assert all(p.grad is None for p in agent.actor.parameters())
    assert all(p.grad is None for p in agent.target_value.parameters())
    before_value = [p.detach().clone() for p in agent.value.parameters()]
    before_target = [p.clone() for p in agent.target_value.parameters()]
    info = agent.update(batch)
    assert set(info) == {"value_loss", "actor_loss", "v_mean"}
    for t0, t1, v0 in zip(before_target, agent.target_value.parameters(), before_value, strict=True):
        assert torch.allclose(t1, 0.5 * t0 + 0.5 * v0, atol=1e-6)  # from the pre-step value


def test_gcivl_value_loss_matches_the_two_head_definition(goal_batch):
    torch.manual_seed(1)
    agent = GCIVL(OBS, ACT, GCIVLConfig(actor_hidden=(8,), value_hidden=(8,)))
    with torch.no_grad():
        agent.target_value.net.biases[-1][1].add_(1.0)  # target heads differ
    batch = goal_batch
    loss, _ = agent.value_loss(batch)
    with torch.no_grad():
        nv = agent.target_value(batch["next_observations"], batch["value_goals"])
        vt = agent.target_value(batch["observations"], batch["value_goals"]).mean(0)
        adv = -1 + 0.99 * nv.min(0).values - vt
        v = agent.value(batch["observations"], batch["value_goals"])
        expected = sum(
            (torch.where(adv >= 0, 0.9, 0.1) * (-1 + 0.99 * nv[i] - v[i]) ** 2).mean() for i in range(2)
        )
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)


def test_gciql_is_iql_on_goal_conditioned_inputs_with_separate_actor_goals(goal_batch):
    from agent_rl.control.gciql import GCIQL, GCIQLConfig
    from agent_rl.control.iql import IQL

    torch.manual_seed(0)
    cfg = GCIQLConfig(actor_hidden=(8,), critic_hidden=(8,))
    agent = GCIQL(OBS, ACT, cfg)
    assert cfg.extraction == "ddpgbc" and cfg.alpha == 0.3 and cfg.goals.actor_p_randomgoal == 0.5
    batch = goal_batch
    _, info = agent.total_loss(batch)
    value_view = {
        **batch,
        "observations": torch.cat([batch["observations"], batch["value_goals"]], -1),
        "next_observations": torch.cat([batch["next_observations"], batch["value_goals"]], -1),
    }
    assert info["value_loss"].item() == pytest.approx(IQL.value_loss(agent, value_view).item(), rel=1e-6)
    actor_view = {**batch, "observations": torch.cat([batch["observations"], batch["actor_goals"]], -1)}
    assert info["actor_loss"].item() == pytest.approx(IQL.actor_loss(agent, actor_view).item(), rel=1e-6)
    agent.update(batch)
    assert agent.act(np.zeros(OBS), np.ones(OBS)).shape == (ACT,)
