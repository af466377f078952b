"""Shared RL losses on cases small enough to compute by hand."""

import pytest
import torch
from torch import nn

from agent_rl.core.losses import (
    awr_weights,
    euler_flow,
    expectile_loss,
    flow_matching_loss,
    polyak_update,
    td_target,
    weighted_bc_loss,
)


def test_td_target_masks_bootstrap_and_carries_no_grad():
    next_v = torch.tensor([2.0, 4.0], requires_grad=True)
    target = td_target(torch.tensor([1.0, -1.0]), torch.tensor([1.0, 0.0]), next_v, gamma=0.5)
    assert torch.allclose(target, torch.tensor([2.0, -1.0]))
    assert not target.requires_grad


def test_td_target_broadcasts_over_an_ensemble_axis():
    target = td_target(
        torch.tensor([0.0, 1.0]), torch.ones(2), torch.tensor([[1.0, 1.0], [3.0, 3.0]]), gamma=1.0
    )
    assert torch.allclose(target, torch.tensor([[1.0, 2.0], [3.0, 4.0]]))


def test_expectile_loss_weights_positive_and_negative_errors_asymmetrically():
    # diff = +2 weighs 0.9, diff = -1 weighs 0.1: (0.9*4 + 0.1*1) / 2 = 1.85
    assert expectile_loss(torch.tensor([2.0, -1.0]), 0.9).item() == pytest.approx(1.85)
    # τ = 0.5 is half the mean squared error
    assert expectile_loss(torch.tensor([2.0, -1.0]), 0.5).item() == pytest.approx(0.5 * 2.5)


def test_flow_matching_loss_on_a_known_velocity_field():
    x0, x1 = torch.tensor([[0.0, 1.0]]), torch.tensor([[2.0, 1.0]])
    t = torch.tensor([[0.5]])
    # the true velocity x1 - x0 = (2, 0) gives zero loss; a zero field gives ((2² + 0²) / 2) = 2
    assert flow_matching_loss(lambda c, x, t: x1 - x0, None, x0, x1, t).item() == pytest.approx(0.0)
    assert flow_matching_loss(lambda c, x, t: torch.zeros_like(x), None, x0, x1, t).item() == pytest.approx(
        2.0
    )
    # the field sees the interpolated point x_t = (1, 1)
    seen = []
    flow_matching_loss(lambda c, x, t: seen.append(x) or x, None, x0, x1, t)
    assert torch.allclose(seen[0], torch.tensor([[1.0, 1.0]]))


def test_euler_flow_integrates_the_velocity_field_from_t0_to_t1():
    x0 = torch.tensor([[1.0, -1.0]], requires_grad=True)
    # a constant field moves x0 by exactly the field; dx/dt = t gives the left Riemann sum Σ i/n² = (n−1)/2n
    assert torch.allclose(
        euler_flow(lambda c, x, t: torch.full_like(x, 2.0), None, x0, 4), torch.tensor([[3.0, 1.0]])
    )
    out = euler_flow(lambda c, x, t: t.expand_as(x), None, x0, 4)
    assert torch.allclose(out, x0 + 3 / 8) and not out.requires_grad
    # extra leading axes (several samples per state) are carried through, with times shaped (..., 1)
    times = []
    samples = euler_flow(lambda c, x, t: times.append(t) or c, torch.ones(3, 2, 2), torch.zeros(3, 2, 2), 2)
    assert torch.allclose(samples, torch.ones(3, 2, 2)) and times[1].shape == (3, 2, 1)
    assert times[1].unique().tolist() == [0.5]


def test_weighted_bc_and_awr_weights():
    log_probs = torch.tensor([-1.0, -2.0], requires_grad=True)
    weights = torch.tensor([1.0, 0.0], requires_grad=True)
    loss = weighted_bc_loss(log_probs, weights)
    assert loss.item() == pytest.approx(0.5)  # -(1*-1 + 0*-2)/2
    loss.backward()
    assert weights.grad is None and torch.allclose(log_probs.grad, torch.tensor([-0.5, 0.0]))
    w = awr_weights(torch.tensor([0.0, 1.0, 10.0]), temperature=2.0, max_weight=100.0)
    assert torch.allclose(w, torch.tensor([1.0, torch.e**2, 100.0]))


def test_polyak_update_moves_target_by_tau():
    source, target = nn.Linear(2, 1), nn.Linear(2, 1)
    nn.init.constant_(source.weight, 1.0)
    nn.init.constant_(target.weight, 0.0)
    polyak_update(target, source, tau=0.25)
    assert torch.allclose(target.weight, torch.full((1, 2), 0.25))
    polyak_update(target, source, tau=0.25)
    assert torch.allclose(target.weight, torch.full((1, 2), 0.4375))
