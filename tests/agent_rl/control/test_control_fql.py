"""FQL's gradient flow, the porting bugs the spec warns about, and its loss pieces."""

import numpy as np
import pytest
import torch

from agent_rl.control.fql import FQL, FQLConfig

OBS, ACT, N = 6, 3, 16


def _agent(**kw) -> FQL:
    torch.manual_seed(0)
    return FQL(OBS, ACT, FQLConfig(actor_hidden=(16, 16), critic_hidden=(16, 16), flow_steps=4, **kw))


def _batch() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return {
        "observations": torch.randn(N, OBS, generator=g),
        "next_observations": torch.randn(N, OBS, generator=g),
        "actions": torch.rand(N, ACT, generator=g) * 2 - 1,
        "rewards": -torch.rand(N, generator=g),
        "masks": torch.ones(N),
    }


def test_actor_loss_leaves_critic_parameters_without_gradient():
    agent = _agent()
    loss, _ = agent.actor_loss(_batch())
    loss.backward()
    assert all(p.grad is None for p in agent.critic.parameters())
    assert all(p.requires_grad for p in agent.critic.parameters())
    assert all(p.grad is not None for p in agent.actor_onestep.parameters())
    assert all(p.grad is not None for p in agent.actor_bc_flow.parameters())


def test_q_term_reaches_the_one_step_policy_through_the_critic():
    agent = _agent()
    obs = _batch()["observations"]
    actions = agent.onestep_actions(obs, torch.randn(N, ACT))
    (-agent.critic(obs, actions, detach_params=True).mean()).backward()
    assert any(p.grad.abs().sum() > 0 for p in agent.actor_onestep.parameters())


def test_distillation_target_carries_no_gradient():
    agent = _agent()
    obs, noise = _batch()["observations"], torch.randn(N, ACT, requires_grad=True)
    target = agent.flow_actions(obs, noise)
    assert not target.requires_grad and target.grad_fn is None
    # only the one-step policy is pulled by the distillation term: the BC flow gets no gradient from it
    agent.zero_grad(set_to_none=True)
    (agent.onestep_actions(obs, noise.detach()) - target).pow(2).mean().backward()
    assert all(p.grad is None for p in agent.actor_bc_flow.parameters())


def test_flow_actions_are_the_euler_integration_of_the_velocity_field():
    agent = _agent()
    obs, noise = _batch()["observations"], torch.randn(N, ACT) * 0.1
    x = noise.clone()
    with torch.no_grad():
        for i in range(4):
            x = x + agent.actor_bc_flow(obs, x, torch.full((N, 1), i / 4)) / 4
    assert torch.allclose(agent.flow_actions(obs, noise), x.clamp(-1, 1))


def test_target_network_moves_from_the_pre_step_critic():
    agent = _agent(tau=0.1)
    before_target = [p.clone() for p in agent.target_critic.parameters()]
    before_critic = [p.detach().clone() for p in agent.critic.parameters()]
    agent.update(_batch())
    for old, new, online in zip(before_target, agent.target_critic.parameters(), before_critic, strict=True):
        assert torch.allclose(new, 0.9 * old + 0.1 * online, atol=1e-6)
    assert any(not torch.equal(a, b) for a, b in zip(before_critic, agent.critic.parameters(), strict=True))
    assert all(not p.requires_grad and p.grad is None for p in agent.target_critic.parameters())
    # the critic loss itself puts no gradient on the target
    agent.critic_loss(_batch())[0].backward()
    assert all(p.grad is None for p in agent.target_critic.parameters())


def test_critic_loss_is_averaged_over_the_ensemble_against_the_td_target():
    agent = _agent()
    batch = _batch()
    torch.manual_seed(5)
    loss, _ = agent.critic_loss(batch)
    torch.manual_seed(5)
    with torch.no_grad():
        next_a = agent.onestep_actions(batch["next_observations"]).clamp(-1, 1)
        next_q = agent.target_critic(batch["next_observations"], next_a).mean(0)
        target = batch["rewards"] + 0.99 * batch["masks"] * next_q
        q = agent.critic(batch["observations"], batch["actions"])
    assert loss.item() == pytest.approx(((q - target) ** 2).mean().item(), rel=1e-5)


def test_one_update_is_one_adam_step_on_the_summed_loss():
    """Critic and actor losses (the actor's on the pre-step critic) summed, one step: the reference's order."""
    agent, twin = _agent(), _agent()
    twin.load_state_dict(agent.state_dict())
    batch = _batch()
    torch.manual_seed(7)
    agent.update(batch)
    torch.manual_seed(7)
    critic_loss, _ = twin.critic_loss(batch)
    actor_loss, _ = twin.actor_loss(batch)
    opt = torch.optim.Adam([p for p in twin.parameters() if p.requires_grad], lr=twin.config.lr)
    opt.zero_grad()
    (critic_loss + actor_loss).backward()
    opt.step()
    for name in ("critic", "actor_bc_flow", "actor_onestep"):
        for a, b in zip(getattr(agent, name).parameters(), getattr(twin, name).parameters(), strict=True):
            assert torch.allclose(a, b, atol=1e-6), name
    assert len(agent.optimizers) == 1


def _q_losses(agent: FQL, scale: float) -> float:
    with torch.no_grad():
        agent.critic.net.weights[-1].mul_(scale)
        agent.critic.net.biases[-1].add_(1.0).mul_(scale)
    torch.manual_seed(3)
    return agent.actor_loss(_batch())[1]["q_loss"].item()


def test_normalize_q_loss_makes_the_q_term_invariant_to_the_scale_of_q():
    plain = [_q_losses(_agent(), s) for s in (1.0, 10.0)]
    normalized = [_q_losses(_agent(normalize_q_loss=True), s) for s in (1.0, 10.0)]
    assert plain[1] == pytest.approx(10 * plain[0], rel=1e-4)
    assert normalized[1] == pytest.approx(normalized[0], rel=1e-4)
    assert abs(normalized[0]) <= 1.0 + 1e-6  # |mean q| / mean |q|


def test_act_returns_clipped_actions_of_the_right_shape():
    agent = _agent()
    a = agent.act(np.zeros(OBS, dtype=np.float64))
    assert a.shape == (ACT,) and np.all(np.abs(a) <= 1.0)
    assert agent.act(np.zeros((4, OBS))).shape == (4, ACT)
