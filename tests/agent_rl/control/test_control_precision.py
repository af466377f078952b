"""Mixed precision (`set_precision("bf16")`) and torch.compile change how an update runs, not what it computes."""

import pytest
import torch

from agent_rl.control.fql import FQL, FQLConfig
from agent_rl.control.iql import IQL, IQLConfig

OBS, ACT, N = 6, 3, 32


def _batch() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return {
        "observations": torch.randn(N, OBS, generator=g),
        "next_observations": torch.randn(N, OBS, generator=g),
        "actions": torch.rand(N, ACT, generator=g) * 2 - 1,
        "rewards": -torch.rand(N, generator=g),
        "masks": torch.ones(N),
    }


def _twins(agent_cls, config):
    torch.manual_seed(0)
    a = agent_cls(OBS, ACT, config)
    b = agent_cls(OBS, ACT, config)
    b.load_state_dict(a.state_dict())
    return a, b


def _updates(agent, steps: int = 3) -> list[dict[str, float]]:
    infos = []
    for step in range(steps):
        torch.manual_seed(step)
        infos.append({k: float(v) for k, v in agent.update(_batch()).items()})
    return infos


@pytest.mark.parametrize(
    "agent_cls, config",
    [
        (FQL, FQLConfig(actor_hidden=(64, 64), critic_hidden=(64, 64), flow_steps=4)),
        (IQL, IQLConfig(actor_hidden=(64, 64), critic_hidden=(64, 64))),
    ],
)
def test_bf16_updates_track_float32_and_keep_float32_weights_and_optimiser(agent_cls, config):
    exact, mixed = _twins(agent_cls, config)
    mixed.set_precision("bf16")
    want, got = _updates(exact), _updates(mixed)
    for w, g in zip(want, got, strict=True):
        assert w.keys() == g.keys()
        for key in w:
            assert g[key] == pytest.approx(w[key], rel=0.03, abs=1e-3), key
    assert want != got  # bf16 did run
    assert all(p.dtype == torch.float32 for p in mixed.parameters())
    assert all(s["exp_avg"].dtype == torch.float32 for s in mixed.optimizer.state.values())


@pytest.mark.e2e
def test_a_compiled_update_equals_an_eager_one_on_the_same_seed():
    config = FQLConfig(actor_hidden=(16, 16), critic_hidden=(16, 16), flow_steps=3)
    eager, compiled = _twins(FQL, config)
    compiled.compile()
    for want, got in zip(_updates(eager), _updates(compiled), strict=True):
        for key in want:
            assert got[key] == pytest.approx(want[key], rel=1e-5, abs=1e-6), key
    for p, q in zip(eager.parameters(), compiled.parameters(), strict=True):
        assert torch.allclose(p, q, atol=1e-6)
