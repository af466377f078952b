"""CRL: the contrastive critic loss on a hand-computed case, the bilinear pairing, and gradient flow."""

import math

import numpy as np
import pytest
import torch

from agent_rl.control.crl import CRL, CRLConfig

OBS, ACT, N = 4, 2, 32
SMALL = dict(actor_hidden=(8,), value_hidden=(8,), latent_dim=6)


def test_crl_defaults_are_the_references():
    cfg = CRLConfig()
    assert (cfg.alpha, cfg.latent_dim, cfg.batch_size) == (0.1, 512, 1024)
    assert cfg.goals.value_p_trajgoal == 1.0 and cfg.goals.value_geom_sample
    assert cfg.goals.actor_p_trajgoal == cfg.goals.actor_p_randomgoal == 0.5


def test_crl_critic_loss_is_log2_at_zero_logits_and_pairs_rows_with_goals(goal_batch):
    agent = CRL(OBS, ACT, CRLConfig(**SMALL))
    batch = goal_batch
    logits = agent.critic.logits(batch["observations"], batch["actions"], batch["value_goals"])
    diag = agent.critic(batch["observations"], batch["actions"], batch["value_goals"])
    assert logits.shape == (2, N, N) and torch.allclose(
        torch.diagonal(logits, dim1=1, dim2=2), diag, atol=1e-6
    )
    with torch.no_grad():
        agent.critic.psi.weights[-1].zero_()
        agent.critic.psi.biases[-1].zero_()
    loss, _ = agent.critic_loss(batch)
    assert loss.item() == pytest.approx(math.log(2.0), rel=1e-6)


def test_crl_contrastive_loss_rewards_the_positive_pair(goal_batch):
    torch.manual_seed(0)
    agent = CRL(OBS, ACT, CRLConfig(actor_hidden=(8,), value_hidden=(32,), latent_dim=16, lr=3e-3))
    batch = goal_batch
    before = agent.critic_loss(batch)[0].item()
    for _ in range(200):
        agent.update(batch)
    loss, info = agent.critic_loss(batch)
    assert loss.item() < before / 5
    assert info["categorical_accuracy"].item() > 10 / N  # its own goal ranks first far above chance (1/N)


def test_crl_gradient_flow(goal_batch):
    agent = CRL(OBS, ACT, CRLConfig(**SMALL))
    batch = goal_batch
    agent.actor_loss(batch).backward()
    assert all(p.grad is not None for p in agent.actor.parameters())
    assert all(p.grad is None for p in agent.critic.parameters())  # DDPG+BC does not move the critic
    agent.zero_grad(set_to_none=True)
    agent.critic_loss(batch)[0].backward()
    assert all(p.grad is None for p in agent.actor.parameters())
    assert all(p.grad is not None for p in agent.critic.parameters())
    assert agent.act(np.zeros(OBS), np.ones(OBS)).shape == (ACT,)
