"""IQL and ReBRAC: one update moves what it should, and the stop-gradients hold."""

import numpy as np
import pytest
import torch

from agent_rl.control.iql import IQL, IQLConfig
from agent_rl.control.presets import build_config, task_settings
from agent_rl.control.rebrac import ReBRAC, ReBRACConfig

OBS, ACT, N = 6, 3, 16
SMALL = dict(actor_hidden=(16, 16), critic_hidden=(16, 16))


def _batch() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return {
        "observations": torch.randn(N, OBS, generator=g),
        "next_observations": torch.randn(N, OBS, generator=g),
        "actions": torch.rand(N, ACT, generator=g) * 2 - 1,
        "next_actions": torch.rand(N, ACT, generator=g) * 2 - 1,
        "rewards": -torch.rand(N, generator=g),
        "masks": torch.ones(N),
    }


def _params(module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def _moved(before, module) -> bool:
    return any(not torch.equal(a, b) for a, b in zip(before, module.parameters(), strict=True))


@pytest.mark.parametrize("extraction", ["awr", "ddpgbc"])
def test_iql_update_trains_value_critic_and_actor(extraction):
    torch.manual_seed(0)
    agent = IQL(OBS, ACT, IQLConfig(extraction=extraction, **SMALL))
    before = {name: _params(getattr(agent, name)) for name in ("value", "critic", "actor")}
    metrics = agent.update(_batch())
    assert set(metrics) == {"value_loss", "critic_loss", "actor_loss", "q_mean"}
    assert all(np.isfinite(float(v)) for v in metrics.values())
    assert all(_moved(before[name], getattr(agent, name)) for name in before)
    assert agent.act(np.zeros(OBS)).shape == (ACT,)


def test_iql_actor_loss_gives_the_critic_no_gradient():
    for extraction in ("awr", "ddpgbc"):
        agent = IQL(OBS, ACT, IQLConfig(extraction=extraction, **SMALL))
        agent.actor_loss(_batch()).backward()
        assert all(p.grad is None for p in [*agent.critic.parameters(), *agent.value.parameters()])


def test_iql_value_is_an_upper_expectile_of_q():
    """With a fixed critic, V fitted with τ = 0.9 ends above the mean of Q over the dataset's actions."""
    torch.manual_seed(0)
    agent = IQL(1, 1, IQLConfig(expectile=0.9, lr=3e-2, actor_hidden=(8,), critic_hidden=(8,)))
    obs = torch.zeros(64, 1)
    actions = torch.linspace(-1, 1, 64)[:, None]
    batch = {"observations": obs, "actions": actions}
    opt = torch.optim.Adam(agent.value.parameters(), lr=3e-2)
    for _ in range(300):
        loss = agent.value_loss(batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    q = agent.target_critic(obs, actions).min(0).values.detach()
    lo, hi = q.min().item(), q.max().item()
    for _ in range(60):  # the 0.9-expectile of q: Σ |τ − 1(q < v)|·(q − v) = 0
        v = (lo + hi) / 2
        weights = torch.where(q >= v, 0.9, 0.1)
        lo, hi = (v, hi) if (weights * (q - v)).sum() > 0 else (lo, v)
    assert agent.value(obs[:1]).item() > q.mean().item()
    assert agent.value(obs[:1]).item() == pytest.approx(v, abs=0.02 * q.std().item() + 1e-3)


def test_iql_ddpgbc_uses_fixed_unit_std_and_the_min_of_the_critics():
    torch.manual_seed(0)
    agent = IQL(OBS, ACT, IQLConfig(extraction="ddpgbc", alpha=0.0, **SMALL))
    assert agent.actor.log_std is None  # std fixed at 1: nothing to learn
    batch = _batch()
    with torch.no_grad():  # make the two critics disagree by a constant
        agent.critic.net.biases[-1][1].add_(5.0)
    loss = agent.actor_loss(batch)
    actions = agent.actor.mode(batch["observations"]).clamp(-1, 1)
    qs = agent.critic(batch["observations"], actions)
    q_min = qs.min(0).values
    assert loss.item() == pytest.approx((-q_min.mean() / q_min.abs().mean()).item(), rel=1e-5)
    q_mean = qs.mean(0)
    assert loss.item() != pytest.approx((-q_mean.mean() / q_mean.abs().mean()).item(), rel=1e-3)


def test_iql_awr_advantages_come_from_the_current_critic():
    torch.manual_seed(0)
    agent = IQL(OBS, ACT, IQLConfig(alpha=1.0, **SMALL))
    batch = _batch()
    with torch.no_grad():
        agent.target_critic.net.biases[-1].add_(3.0)  # a target that differs from the critic
        log_prob = agent.actor.dist(batch["observations"]).log_prob(batch["actions"]).sum(-1)
        adv = agent.critic(batch["observations"], batch["actions"]).min(0).values - agent.value(
            batch["observations"]
        )
        expected = -(torch.exp(adv).clamp(max=100.0) * log_prob).mean()
    assert agent.actor_loss(batch).item() == pytest.approx(expected.item(), rel=1e-5)


def test_iql_critic_loss_sums_its_two_critics_as_the_reference_does():
    agent = IQL(OBS, ACT, IQLConfig(**SMALL))
    batch = _batch()
    loss, _ = agent.critic_loss(batch)
    with torch.no_grad():
        target = batch["rewards"] + 0.99 * batch["masks"] * agent.value(batch["next_observations"])
        q = agent.critic(batch["observations"], batch["actions"])
    assert loss.item() == pytest.approx(((q - target) ** 2).sum(0).mean().item(), rel=1e-5)


def test_iql_explores_by_sampling_and_evaluates_with_the_mean():
    torch.manual_seed(0)
    agent = IQL(OBS, ACT, IQLConfig(**SMALL))
    obs = np.zeros((200, OBS))
    assert np.array_equal(agent.act(obs), agent.act(obs))
    explored = agent.act(obs, explore=True)
    assert explored.std(0).min() > 0.3  # std 1, clipped to [-1, 1]


def test_rebrac_actor_has_no_layer_norm_and_its_critic_does():
    agent = ReBRAC(OBS, ACT, ReBRACConfig(**SMALL))
    assert not agent.actor.net.layer_norm and len(agent.actor.net.ln_scales) == 0
    assert agent.critic.net.layer_norm and len(agent.critic.net.ln_scales) == 2


def test_rebrac_explores_with_clipped_noise_around_its_actor():
    agent = ReBRAC(OBS, ACT, ReBRACConfig(**SMALL))
    obs = np.zeros((100, OBS))
    mode, explored = agent.act(obs), agent.act(obs, explore=True)
    assert np.allclose(mode, mode[0]) and 0 < np.abs(explored - mode).max() <= 0.5 + 1e-6


def test_rebrac_delays_actor_updates_and_uses_next_actions():
    torch.manual_seed(0)
    agent = ReBRAC(OBS, ACT, ReBRACConfig(actor_freq=2, alpha_actor=1.0, alpha_critic=1.0, **SMALL))
    actor_before, target_before = _params(agent.actor), _params(agent.target_critic)
    first = agent.update(_batch())  # the reference's step 1: critic only, targets stay
    assert "actor_loss" not in first and not _moved(actor_before, agent.actor)
    assert not _moved(target_before, agent.target_critic)
    second = agent.update(_batch())
    assert (
        "actor_loss" in second
        and _moved(actor_before, agent.actor)
        and _moved(target_before, agent.target_critic)
    )
    batch = _batch()
    del batch["next_actions"]
    with pytest.raises(KeyError):
        agent.critic_loss(batch)
    state = agent.state_dict()
    restored = ReBRAC(OBS, ACT, ReBRACConfig(actor_freq=2, **SMALL))
    restored.load_state_dict(state)
    assert restored._updates == 2
    agent.zero_grad(set_to_none=True)
    agent.actor_loss(_batch()).backward()
    assert all(p.grad is None for p in agent.critic.parameters())


def test_presets_hold_per_task_settings_for_every_agent():
    assert task_settings("rebrac", "cube-single-play-v0") == {"alpha_actor": 1.0, "alpha_critic": 0.0}
    assert task_settings("iql", "scene-play-v0") == {"alpha": 10.0}
    assert task_settings("fql", "antmaze-giant-navigate-v0") == {
        "alpha": 10.0,
        "q_agg": "min",
        "discount": 0.995,
    }
    assert task_settings("fql", "antsoccer-arena-navigate-v0") == {"alpha": 10.0, "discount": 0.995}
    assert task_settings("fql", "antsoccer-arena-navigate-v0", online=True)["alpha"] == 30.0
    assert task_settings("fql", "humanoidmaze-large-navigate-v0", online=True)["alpha"] == 100.0
    assert task_settings("fql", "scene-play-v0", online=True) == {"alpha": 300.0}


def test_presets_apply_the_fql_task_table_and_reject_unknown_settings():
    assert task_settings("fql", "cube-single-play-v0") == {"alpha": 300.0}
    assert task_settings("fql", "puzzle-4x4-play-v0") == {"alpha": 1000.0}
    assert task_settings("fql", "humanoidmaze-medium-navigate-v0") == {"alpha": 30.0, "discount": 0.995}
    cfg = build_config("fql", "cpu", "antmaze-large-navigate-v0", {"alpha": 5.0})
    assert cfg.alpha == 5.0 and cfg.q_agg == "min" and cfg.actor_hidden == (256, 256)
    assert build_config("fql", "gpu", "scene-play-v0", {}).actor_hidden == (512,) * 4
    with pytest.raises(ValueError, match="unknown fql settings"):
        build_config("fql", "gpu", "scene-play-v0", {"alpah": 1})
