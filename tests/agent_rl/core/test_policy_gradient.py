import math

import pytest
import torch

from agent_rl.core.policy_gradient import (
    clipped_pg_loss,
    clipped_value_loss,
    kl_to_reference,
    masked_mean,
    token_logprobs,
)


def test_masked_mean_ignores_padding():
    values = torch.tensor([[1.0, 2.0, 100.0], [3.0, 100.0, 100.0]])
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
    assert masked_mean(values, mask).item() == pytest.approx(2.0)
    assert masked_mean(values, mask, dim=1).tolist() == pytest.approx([1.5, 3.0])


def test_clipped_pg_loss_by_hand():
    old = torch.zeros(1, 3)
    new = torch.log(torch.tensor([[1.5, 0.5, 1.05]]))  # ratios 1.5, 0.5, 1.05
    adv = torch.tensor([[1.0, -1.0, 2.0]])
    mask = torch.ones(1, 3)
    loss, stats = clipped_pg_loss(new, old, adv, mask, clip=0.2)
    # min(r*A, clip(r)*A): 1.5 -> 1.2; 0.5*-1=-0.5 vs 0.8*-1=-0.8 -> -0.8; 1.05*2=2.1
    assert loss.item() == pytest.approx(-(1.2 - 0.8 + 2.1) / 3, rel=1e-5)
    assert stats["clip_fraction"] == pytest.approx(2 / 3)


def test_clipped_pg_gradient_is_reinforce_on_policy():
    logits = torch.zeros(1, 2, requires_grad=True)
    logp = torch.log_softmax(logits, -1)[:, :1]
    loss, _ = clipped_pg_loss(logp, logp.detach(), torch.tensor([[2.0]]), torch.ones(1, 1))
    loss.backward()
    # d/dlogits of -A * log softmax_0 = -A * (onehot - p) = -2 * ([1,0] - [.5,.5])
    assert logits.grad[0].tolist() == pytest.approx([-1.0, 1.0])


def test_kl_estimate_zero_when_equal_and_positive_otherwise():
    logp = torch.tensor([-1.0, -2.0])
    assert kl_to_reference(logp, logp).abs().max().item() == 0.0
    k = kl_to_reference(torch.tensor([-1.0]), torch.tensor([-2.0])).item()
    assert k == pytest.approx(math.exp(-1) + 1 - 1)


def test_value_loss_clips_around_old():
    v = torch.tensor([2.0])
    loss = clipped_value_loss(v, old_values=torch.tensor([0.0]), returns=torch.tensor([0.0]), clip=0.5)
    assert loss.item() == pytest.approx(0.5 * 4.0)  # max(unclipped 4, clipped 0.25)


def test_token_logprobs_gathers():
    logits = torch.tensor([[[0.0, math.log(3.0)]]])
    assert token_logprobs(logits, torch.tensor([[1]])).item() == pytest.approx(math.log(0.75))
