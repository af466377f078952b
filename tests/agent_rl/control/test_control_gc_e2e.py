"""Each goal-conditioned agent trains on a small generated OGBench dataset and runs real evaluation episodes."""

import gymnasium
import numpy as np
import pytest
import torch

from agent_rl.control.crl import CRL, CRLConfig
from agent_rl.control.double_sharsa import DoubleSHARSA, DoubleSHARSAConfig
from agent_rl.control.evaluate import evaluate_goals
from agent_rl.control.gcbc import GCBC, GCBCConfig
from agent_rl.control.gciql import GCIQL, GCIQLConfig
from agent_rl.control.gcivl import GCIVL, GCIVLConfig
from agent_rl.control.hiql import HIQL, HIQLConfig
from agent_rl.control.qrl import QRL, QRLConfig
from agent_rl.control.sharsa import SHARSA, SHARSAConfig
from agent_rl.core.gc_buffer import GoalBuffer

DATASET = "cube-single-play-v0"
TINY = {
    GCBC: GCBCConfig(actor_hidden=(16,), batch_size=32),
    GCIVL: GCIVLConfig(actor_hidden=(16,), value_hidden=(16,), batch_size=32),
    GCIQL: GCIQLConfig(actor_hidden=(16,), critic_hidden=(16,), batch_size=32),
    QRL: QRLConfig(actor_hidden=(16,), value_hidden=(16,), latent_dim=16, batch_size=32),
    CRL: CRLConfig(actor_hidden=(16,), value_hidden=(16,), latent_dim=16, batch_size=32),
    HIQL: HIQLConfig(actor_hidden=(16,), value_hidden=(16,), batch_size=32),
    SHARSA: SHARSAConfig(actor_hidden=(16,), value_hidden=(16,), batch_size=32),
    DoubleSHARSA: DoubleSHARSAConfig(actor_hidden=(16,), value_hidden=(16,), batch_size=32),
}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    from envs.control.datasets import load_datasets
    from envs.control.generate import GenConfig, generate

    out = tmp_path_factory.mktemp("gcdata")
    train_path, _ = generate(
        GenConfig(dataset=DATASET, episodes=10, episode_steps=30, chunk_episodes=10, seed=1),
        out,
        progress=False,
    )
    return load_datasets(DATASET, train_path)[0]


@pytest.mark.e2e
@pytest.mark.parametrize("agent_cls", list(TINY), ids=lambda c: c.__name__)
def test_agent_trains_on_generated_goals_and_runs_evaluation_episodes(dataset, agent_cls):
    import ogbench  # noqa: F401  (registers the environments)

    torch.manual_seed(0)
    cfg = TINY[agent_cls]
    obs_dim, action_dim = dataset["observations"].shape[1], dataset["actions"].shape[1]
    agent = agent_cls(obs_dim, action_dim, cfg)
    buffer, rng = GoalBuffer(dataset, cfg.goals), np.random.default_rng(0)
    before = [p.detach().clone() for p in agent.parameters() if p.requires_grad]
    for _ in range(20):
        info = agent.update(buffer.sample(cfg.batch_size, rng))
    assert all(torch.isfinite(v).all() for v in info.values())
    after = [p for p in agent.parameters() if p.requires_grad]
    assert any(not torch.equal(b, a) for b, a in zip(before, after, strict=True))
    env = gymnasium.make("cube-single-v0", max_episode_steps=15)
    result = evaluate_goals(agent.act, env, tasks=[1, 2], episodes=1)
    env.close()
    assert set(result) == {"task1", "task2", "success"} and 0.0 <= result["success"] <= 1.0
