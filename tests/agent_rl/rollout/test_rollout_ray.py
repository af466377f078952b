"""Distributed rollouts on a real local Ray cluster, with the model served over loopback HTTP."""

import functools
import os
import sys
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="Ray is the optional 'ray' extra")

from agent_rl.backends.base import SamplingParams  # noqa: E402
from agent_rl.backends.openai_server import serving  # noqa: E402
from agent_rl.backends.transformers_backend import TransformersBackend  # noqa: E402
from agent_rl.models.tiny import build_tiny_text_model  # noqa: E402
from agent_rl.rollout.distributed import RayRolloutConfig, run_rollouts_ray  # noqa: E402
from agent_rl.rollout.runner import EpisodeSpec  # noqa: E402
from agent_rl.rollout.store import EpisodeStore  # noqa: E402
from envs.generalpoints import GeneralPointsEnv  # noqa: E402

pytestmark = pytest.mark.e2e


class CrashOnce(GeneralPointsEnv):
    """Kills its worker process at the first step, once (a marker file remembers), like a crashed browser."""

    def __init__(self, marker: str, **kwargs):
        super().__init__(**kwargs)
        self.marker = Path(marker)

    def step(self, action):
        if not self.marker.exists():
            self.marker.write_text(str(os.getpid()))
            os._exit(1)
        return super().step(action)


@pytest.fixture(scope="module")
def cluster_and_server(tmp_path_factory):
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    model_dir = build_tiny_text_model(tmp_path_factory.mktemp("tiny"), seed=0)
    with serving(TransformersBackend(model_dir), "tiny") as spec:
        yield {**spec, "max_retries": 2}
    ray.shutdown()


def specs(n, crash_marker=None, crash_id=None):
    out = []
    for i in range(n):
        kwargs = {"max_attempts": 2}
        if crash_id == f"ep-{i}":
            make_env = functools.partial(CrashOnce, str(crash_marker), **kwargs)
        else:
            make_env = functools.partial(GeneralPointsEnv, **kwargs)
        out.append(EpisodeSpec(episode_id=f"ep-{i}", make_env=make_env, seed=i, task={"i": i}))
    return out


PARAMS = SamplingParams(max_new_tokens=16, temperature=1.0, seed=0)


def test_ray_workers_store_every_episode_once_and_resume_skips_them(cluster_and_server, tmp_path):
    store = EpisodeStore(tmp_path / "store")
    config = RayRolloutConfig(num_workers=2, chunk_size=3)
    stats = run_rollouts_ray(cluster_and_server, specs(7), PARAMS, store, config, progress=False)
    assert len(stats.episodes) == 7 and stats.worker_failures == 0
    assert sorted(e.episode_id for e in store.read()) == sorted(f"ep-{i}" for i in range(7))
    assert all(len(e.turns) >= 1 and e.turns[0].response_token_ids for e in store.read())
    again = run_rollouts_ray(cluster_and_server, specs(9), PARAMS, store, config, progress=False)
    assert again.skipped == 7 and len(again.episodes) == 2
    assert len(store.read()) == 9


def test_a_dying_worker_has_its_chunk_retried_elsewhere(cluster_and_server, tmp_path):
    store = EpisodeStore(tmp_path / "store")
    marker = tmp_path / "crashed"
    config = RayRolloutConfig(num_workers=2, chunk_size=2)
    stats = run_rollouts_ray(
        cluster_and_server, specs(6, marker, crash_id="ep-3"), PARAMS, store, config, progress=False
    )
    assert marker.exists()  # a worker process really died
    assert stats.worker_failures == 1
    ids = [e.episode_id for e in store.read()]
    assert sorted(ids) == sorted(f"ep-{i}" for i in range(6))  # nothing lost, nothing twice
    assert not any(e.error for e in store.read())
