"""Mixed precision (`set_precision("bf16")`) and torch.compile change how an update runs, not what it computes."""

import pytest
import torch

from agent_rl.control.fql import FQL, FQLConfig
from agent_rl.control.iql import IQL, IQLConfig

OBS, ACT = 6, 3  # the shapes of the `transition_batch` fixture


def _twins(agent_cls, config):
    torch.manual_seed(0)
    a = agent_cls(OBS, ACT, config)
    b = agent_cls(OBS, ACT, config)
    b.load_state_dict(a.state_dict())
    return a, b


def _updates(agent, batch, steps: int = 3) -> list[dict[str, float]]:
    infos = []
    for step in range(steps):
        torch.manual_seed(step)
        infos.append({k: float(v) for k, v in agent.update(batch).items()})
    return infos


@pytest.mark.parametrize(
    "agent_cls, config",
    [
        (FQL, FQLConfig(actor_hidden=(64, 64), critic_hidden=(64, 64), flow_steps=4)),
        (IQL, IQLConfig(actor_hidden=(64, 64), critic_hidden=(64, 64))),
    ],
)
def test_bf16_updates_track_float32_and_keep_float32_weights_and_optimiser(
    agent_cls, config, transition_batch
):
    exact, mixed = _twins(agent_cls, config)
    mixed.set_precision("bf16")
    want, got = _updates(exact, transition_batch), _updates(mixed, transition_batch)
    for w, g in zip(want, got, strict=True):
        assert w.keys() == g.keys()
        for key in w:
            assert g[key] == pytest.approx(w[key], rel=0.03, abs=1e-3), key
    assert want != got  # bf16 did run
    assert all(p.dtype == torch.float32 for p in mixed.parameters())
    assert all(s["exp_avg"].dtype == torch.float32 for s in mixed.optimizer.state.values())


@pytest.mark.e2e
def test_a_compiled_update_equals_an_eager_one_on_the_same_seed(transition_batch):
    config = FQLConfig(actor_hidden=(16, 16), critic_hidden=(16, 16), flow_steps=3)
    eager, compiled = _twins(FQL, config)
    compiled.compile()
    updates = zip(_updates(eager, transition_batch), _updates(compiled, transition_batch), strict=True)
    for want, got in updates:
        for key in want:
            assert got[key] == pytest.approx(want[key], rel=1e-5, abs=1e-6), key
    for p, q in zip(eager.parameters(), compiled.parameters(), strict=True):
        assert torch.allclose(p, q, atol=1e-6)
