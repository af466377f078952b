"""SHARSA and double SHARSA: BCE values on hand-computed cases, the n-step SARSA target, gradient flow, and
rejection sampling of subgoals and actions."""

import math

import numpy as np
import pytest
import torch
from pydantic import ValidationError

from agent_rl.control.double_sharsa import DoubleSHARSA, DoubleSHARSAConfig
from agent_rl.control.presets import build_config
from agent_rl.control.sharsa import SHARSA, SHARSAConfig

OBS, ACT, N = 4, 2, 32
SMALL = dict(actor_hidden=(8,), value_hidden=(8,))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _bce(logit: float, target: float) -> float:
    return -(target * math.log(_sigmoid(logit)) + (1 - target) * math.log(_sigmoid(-logit)))


def _constant(net, *values: float) -> None:
    """Make an MLP output constants (one per ensemble member): zero head weights, head bias = the value."""
    with torch.no_grad():
        net.weights[-1].zero_()
        for member, value in enumerate(values):
            net.biases[-1][member].fill_(value)


@pytest.fixture
def sharsa_batch(goal_batch):
    """The shared goal batch plus SHARSA's n-step keys: half the chunks end at the goal after 3 steps."""
    n, g = len(goal_batch["observations"]), torch.Generator().manual_seed(1)
    done = (torch.arange(n) % 2 == 0).float()
    steps = torch.where(done > 0, 3.0, 25.0)
    return goal_batch | {
        "high_value_subgoals": torch.randn(n, OBS, generator=g),
        "high_value_steps": steps,
        "high_value_rewards": 0.999**steps * done,
        "high_value_masks": 1 - done,
        "low_value_goals": torch.randn(n, OBS, generator=g),
        "low_value_rewards": done,
        "low_value_masks": 1 - done,
    }


def test_defaults_are_the_references():
    cfg = SHARSAConfig()
    assert (cfg.batch_size, cfg.actor_hidden, cfg.value_hidden, cfg.discount) == (
        1024,
        (1024,) * 4,
        (1024,) * 4,
        0.999,
    )
    assert (cfg.num_samples, cfg.flow_steps, cfg.q_agg, cfg.goals.subgoal_steps) == (32, 10, "min", 25)
    assert (cfg.goals.discount, cfg.goals.gc_negative, cfg.goals.low_value_goals) == (0.999, False, False)
    double = DoubleSHARSAConfig()
    assert double.goals.low_value_goals and double.goals.low_discount == pytest.approx(0.96)
    # the discount is set once; a partial goals mapping keeps SHARSA's relabelling
    override = DoubleSHARSAConfig(discount=0.99, goals={"subgoal_steps": 50})
    assert (override.goals.discount, override.goals.subgoal_style, override.goals.low_value_goals) == (
        0.99,
        "sharsa",
        True,
    )
    with pytest.raises(ValidationError, match="goals.discount follows it"):
        SHARSAConfig(goals={"discount": 0.9})
    with pytest.raises(ValidationError, match="subgoal_style: sharsa"):
        SHARSAConfig(goals={"subgoal_style": "hiql"})
    cpu = build_config("double_sharsa", "cpu", "cube-single-play-v0", {})
    assert (cpu.batch_size, cpu.value_hidden, cpu.goals.low_value_goals) == (256, (256, 256), True)


@pytest.mark.parametrize("q_agg", ["min", "mean"])
def test_high_value_loss_is_bce_onto_the_target_critics_aggregated_sigmoid(q_agg, sharsa_batch):
    agent = SHARSA(OBS, ACT, SHARSAConfig(**SMALL, q_agg=q_agg))
    _constant(agent.high_value.net, 0.5)
    _constant(agent.target_high_critic.net, 1.0, -0.3)
    _constant(agent.high_critic.net, 5.0, 5.0)  # the online critic must not be the one read
    q = min(_sigmoid(1.0), _sigmoid(-0.3)) if q_agg == "min" else (_sigmoid(1.0) + _sigmoid(-0.3)) / 2
    loss, v_mean = agent.high_value_loss(sharsa_batch)
    assert loss.item() == pytest.approx(_bce(0.5, q), rel=1e-5)
    assert v_mean.item() == pytest.approx(_sigmoid(0.5), rel=1e-5)


def _reads_column_zero(net) -> None:
    """A one-layer value whose logit is its first input's first coordinate."""
    with torch.no_grad():
        net.weights[0].zero_()
        net.biases[0].zero_()
        net.weights[0][0, 0, 0] = 1.0


def _expected_critic_loss(head_logits, rewards, discounts, masks, next_logits) -> float:
    """Σ_heads mean_batch BCE(logit_head, r + discount·mask·σ(next logit)), one sample at a time."""
    targets = [
        r + d * m * _sigmoid(v) for r, d, m, v in zip(rewards, discounts, masks, next_logits, strict=True)
    ]
    return sum(sum(_bce(logit, t) for t in targets) / len(targets) for logit in head_logits)


def test_high_critic_regresses_each_head_onto_the_n_step_sarsa_target(sharsa_batch):
    agent = SHARSA(OBS, ACT, SHARSAConfig(actor_hidden=(8,), value_hidden=()))
    _reads_column_zero(agent.high_value.net)  # V(s_{t+k}, g) = the chunk end's first coordinate
    _constant(agent.high_critic.net, 0.7, -1.1)
    b = sharsa_batch
    # ended at the goal after 3 steps: r = γ³, no bootstrap; otherwise r = 0 plus γ^25·σ(V(s_{t+25}, g))
    expected = _expected_critic_loss(
        (0.7, -1.1),
        b["high_value_rewards"].tolist(),
        (0.999 ** b["high_value_steps"]).tolist(),
        b["high_value_masks"].tolist(),
        b["high_value_subgoals"][:, 0].tolist(),
    )
    loss, _ = agent.high_critic_loss(b)
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_double_sharsa_low_level_is_one_step_sarsa_with_discount_one_minus_one_over_n(sharsa_batch):
    agent = DoubleSHARSA(OBS, ACT, DoubleSHARSAConfig(actor_hidden=(8,), value_hidden=()))
    _reads_column_zero(agent.low_value.net)  # V_l(s', w) = the next state's first coordinate
    _constant(agent.low_critic.net, 0.3, 0.9)
    b = sharsa_batch
    expected = _expected_critic_loss(
        (0.3, 0.9),
        b["low_value_rewards"].tolist(),
        [0.96] * N,
        b["low_value_masks"].tolist(),
        b["next_observations"][:, 0].tolist(),
    )
    loss, _ = agent.low_critic_loss(b)
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    _constant(agent.low_value.net, -0.4)
    _constant(agent.target_low_critic.net, 0.3, 0.9)
    value_loss, _ = agent.low_value_loss(b)
    assert value_loss.item() == pytest.approx(_bce(-0.4, _sigmoid(0.3)), rel=1e-5)


def _grads(module) -> set[bool]:
    return {p.grad is not None for p in module.parameters()}


def test_gradient_flow(sharsa_batch):
    torch.manual_seed(0)
    agent = DoubleSHARSA(OBS, ACT, DoubleSHARSAConfig(**SMALL, tau=0.5))
    nets = {
        "high_value": agent.high_value,
        "high_critic": agent.high_critic,
        "high_actor_flow": agent.high_actor_flow,
        "low_actor_flow": agent.low_actor_flow,
        "low_value": agent.low_value,
        "low_critic": agent.low_critic,
    }
    losses = {
        "high_value": lambda b: agent.high_value_loss(b)[0],
        "high_critic": lambda b: agent.high_critic_loss(b)[0],
        "high_actor_flow": lambda b: agent.actor_losses(b)[0],
        "low_actor_flow": lambda b: agent.actor_losses(b)[1],
        "low_value": lambda b: agent.low_value_loss(b)[0],
        "low_critic": lambda b: agent.low_critic_loss(b)[0],
    }
    for name, loss in losses.items():  # each loss trains its own network and nothing else
        agent.zero_grad(set_to_none=True)
        loss(sharsa_batch).backward()
        for other, net in nets.items():
            assert _grads(net) == {other == name}, (name, other)
        assert _grads(agent.target_high_critic) == _grads(agent.target_low_critic) == {False}
    before = {name: [p.detach().clone() for p in net.parameters()] for name, net in nets.items()}
    targets = [
        [p.clone() for p in t.parameters()] for t in (agent.target_high_critic, agent.target_low_critic)
    ]
    info = agent.update(sharsa_batch)
    assert all(torch.isfinite(v) for v in info.values())
    for old_target, target, online in zip(
        targets,
        (agent.target_high_critic, agent.target_low_critic),
        ("high_critic", "low_critic"),
        strict=True,
    ):
        for t0, t1, v0 in zip(old_target, target.parameters(), before[online], strict=True):
            assert torch.allclose(t1, 0.5 * t0 + 0.5 * v0, atol=1e-6)  # from the pre-step critic


def _linear_critic(critic, *columns: int) -> None:
    """A one-layer critic whose head i reads input column `columns[i]`."""
    with torch.no_grad():
        critic.net.weights[0].zero_()
        critic.net.biases[0].zero_()
        for head, column in enumerate(columns):
            critic.net.weights[0][head, column, 0] = 1.0


# two states, three candidates each, 2-D: min-head Q picks a different candidate than the mean would
CANDIDATES = torch.tensor(
    [
        [[3.0, -1.0], [0.0, 9.0]],
        [[0.5, 0.5], [1.0, 1.0]],
        [[-2.0, 4.0], [2.0, 0.8]],
    ]
)


def test_rejection_sampling_keeps_the_subgoal_with_the_highest_min_q(monkeypatch):
    agent = SHARSA(2, 1, SHARSAConfig(actor_hidden=(8,), value_hidden=(), num_samples=3))
    _linear_critic(agent.high_critic, 4, 5)  # inputs (s, g, w): Q_i = w_i
    calls = []

    def fake_flow(flow, obs, cond, dim, samples=None):
        calls.append((flow, dim, samples))
        return CANDIDATES

    monkeypatch.setattr(agent, "sample_flow", fake_flow)
    obs, goals = torch.zeros(2, 2), torch.ones(2, 2)
    chosen = agent.subgoals(obs, goals)
    assert torch.equal(chosen, torch.tensor([[0.5, 0.5], [1.0, 1.0]]))  # min-Q 0.5 and 1.0
    assert calls == [(agent.high_actor_flow, 2, 3)]


def test_double_sharsa_rejection_samples_actions_with_the_low_critic(monkeypatch):
    agent = DoubleSHARSA(2, 2, DoubleSHARSAConfig(actor_hidden=(8,), value_hidden=(), num_samples=3))
    _linear_critic(agent.low_critic, 4, 5)  # inputs (s, w, a): Q_l,i = a_i
    monkeypatch.setattr(agent, "sample_flow", lambda flow, obs, cond, dim, samples=None: CANDIDATES)
    chosen = agent.low_actions(torch.zeros(2, 2), torch.ones(2, 2))
    assert torch.equal(chosen, torch.tensor([[0.5, 0.5], [1.0, 1.0]]))


def test_acting_samples_subgoals_then_actions_in_range():
    torch.manual_seed(0)
    for agent in (
        SHARSA(OBS, ACT, SHARSAConfig(**SMALL)),
        DoubleSHARSA(OBS, ACT, DoubleSHARSAConfig(**SMALL)),
    ):
        subgoals = agent.subgoals(torch.zeros(5, OBS), torch.ones(5, OBS))
        assert subgoals.shape == (5, OBS)
        actions = agent.act(np.zeros((5, OBS)), np.ones((5, OBS)))
        assert actions.shape == (5, ACT) and np.abs(actions).max() <= 1.0
        assert agent.act(np.zeros(OBS), np.ones(OBS)).shape == (ACT,)
