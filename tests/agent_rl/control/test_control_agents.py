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
    assert set(metrics) == {"value_loss", "critic_loss", "actor_loss"}
    assert all(np.isfinite(v) for v in metrics.values())
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
    for _ in range(300):
        loss = agent.value_loss(batch)
        agent.optimizers["value"].zero_grad()
        loss.backward()
        agent.optimizers["value"].step()
    q = agent.target_critic(obs, actions).min(0).values
    assert agent.value(obs[:1]).item() > q.mean().item()
    assert agent.value(obs[:1]).item() == pytest.approx(
        torch.quantile(q, 0.8).item(), abs=0.1 * q.std().item() + 1e-3
    )


def test_rebrac_delays_actor_updates_and_uses_next_actions():
    torch.manual_seed(0)
    agent = ReBRAC(OBS, ACT, ReBRACConfig(actor_freq=2, **SMALL))
    actor_before, target_before = _params(agent.actor), _params(agent.target_critic)
    first = agent.update(_batch())
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
    agent.zero_grad(set_to_none=True)
    agent.actor_loss(_batch()).backward()
    assert all(p.grad is None for p in agent.critic.parameters())


def test_presets_apply_the_fql_task_table_and_reject_unknown_settings():
    assert task_settings("fql", "cube-single-play-v0") == {"alpha": 300.0}
    assert task_settings("fql", "puzzle-4x4-play-v0") == {"alpha": 1000.0}
    assert task_settings("fql", "humanoidmaze-medium-navigate-v0") == {"alpha": 30.0, "discount": 0.995}
    cfg = build_config("fql", "cpu", "antmaze-large-navigate-v0", {"alpha": 5.0})
    assert cfg.alpha == 5.0 and cfg.q_agg == "min" and cfg.actor_hidden == (256, 256)
    assert build_config("fql", "gpu", "scene-play-v0", {}).actor_hidden == (512,) * 4
    with pytest.raises(ValueError, match="unknown fql settings"):
        build_config("fql", "gpu", "scene-play-v0", {"alpah": 1})
