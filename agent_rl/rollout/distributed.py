"""Rollouts on Ray: env workers (each with its envs, e.g. browsers) as actors; the model is reached over HTTP.

Each worker runs the ordinary multi-turn runner on a chunk of episode specs, with a backend built from a
spec (typically `{"type": "openai", "base_url": ...}` pointing at `agent-rl serve` or `vllm serve`, whose
batching then spans all workers). The driver owns the episode store: a chunk's episodes are appended as the
chunk comes back. A worker that dies loses only the chunk it was running; that chunk goes to a fresh worker,
and episodes already stored are never rerun (the store's ids are skipped, as in a local resume).

`address=None` starts Ray on this machine (`ray.init()`); pass a cluster address to use a cluster. The same
code runs both ways. Ray is an optional extra (`pip install 'agent-rl[ray]'`), imported only here.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agent_rl.backends.base import SamplingParams
from agent_rl.core.types import Episode
from agent_rl.errors import UserError
from agent_rl.rollout.runner import EpisodeSpec, RolloutStats, run_rollouts
from agent_rl.rollout.store import EpisodeStore


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UserError(
            "rollout.backend 'ray' needs Ray: `pip install 'agent-rl[ray]'`, or use rollout.backend 'local'"
        ) from None
    return ray


@dataclass
class RayRolloutConfig:
    num_workers: int = 2
    chunk_size: int = 8  # specs per worker call: the most a dying worker can cost
    max_concurrent: int = 32  # live envs per worker
    max_turns: int = 32
    max_chunk_retries: int = 3
    address: str | None = None  # None: a local Ray on this machine
    num_cpus_per_worker: float = 1.0


@dataclass
class RayRolloutStats(RolloutStats):
    worker_failures: int = 0  # chunks lost to a dead worker and run again elsewhere


class _EnvWorker:
    """Body of the Ray actor: builds its backend once and runs chunks with the local runner."""

    def __init__(self, backend_spec: dict[str, Any]) -> None:
        from agent_rl.backends import make_backend

        self.backend = make_backend(dict(backend_spec))

    def run(self, specs: list[EpisodeSpec], params: SamplingParams, max_concurrent: int, max_turns: int):
        stats = run_rollouts(
            self.backend,
            specs,
            params,
            None,
            max_concurrent=max_concurrent,
            max_turns=max_turns,
            progress=False,
        )
        return stats.episodes, stats.rounds, stats.generated_tokens

    def pid(self) -> int:
        import os

        return os.getpid()


def run_rollouts_ray(
    backend_spec: dict[str, Any],
    specs: Sequence[EpisodeSpec],
    params: SamplingParams,
    store: EpisodeStore | None,
    config: RayRolloutConfig | None = None,
    *,
    progress: bool = True,
) -> RayRolloutStats:
    """Run every spec not yet in `store` on Ray workers; the same contract as `run_rollouts`."""
    ray = import_ray()
    from tqdm.auto import tqdm

    config = config or RayRolloutConfig()
    if not ray.is_initialized():
        ray.init(
            address=config.address, include_dashboard=False, log_to_driver=False, configure_logging=False
        )
    worker_class = ray.remote(num_cpus=config.num_cpus_per_worker, max_restarts=0)(_EnvWorker)

    done = store.finished_ids() if store is not None else set()
    todo = [spec for spec in specs if spec.episode_id not in done]
    chunks = deque((list(todo[i : i + config.chunk_size]), 0) for i in range(0, len(todo), config.chunk_size))
    stats = RayRolloutStats(skipped=len(specs) - len(todo))
    started = time.perf_counter()
    bar = tqdm(
        total=len(specs), initial=stats.skipped, desc="episodes (ray)", disable=not progress, unit="ep"
    )
    workers = [worker_class.remote(backend_spec) for _ in range(min(config.num_workers, max(1, len(chunks))))]
    running: dict[Any, tuple[Any, list[EpisodeSpec], int]] = {}

    def submit(worker: Any) -> None:
        if chunks:
            chunk, tries = chunks.popleft()
            ref = worker.run.remote(chunk, params, config.max_concurrent, config.max_turns)
            running[ref] = (worker, chunk, tries)

    def keep(episodes: list[Episode]) -> None:
        for episode in episodes:
            if store is not None:
                store.append(episode)
            stats.episodes.append(episode)
            bar.update(1)

    try:
        for worker in workers:
            submit(worker)
        while running:
            [ref], _ = ray.wait(list(running), num_returns=1)
            worker, chunk, tries = running.pop(ref)
            try:
                episodes, rounds, tokens = ray.get(ref)
            except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError) as err:
                stats.worker_failures += 1
                if tries + 1 > config.max_chunk_retries:
                    raise RuntimeError(
                        f"a chunk of {len(chunk)} episodes failed on {tries + 1} workers; last error: {err}"
                    ) from None
                chunks.appendleft((chunk, tries + 1))
                worker = worker_class.remote(backend_spec)  # replace the dead worker
                workers.append(worker)
                submit(worker)
                continue
            keep(episodes)
            stats.rounds += rounds
            stats.generated_tokens += tokens
            stats.turns += sum(len(e.turns) for e in episodes)
            submit(worker)
    finally:
        for worker in workers:
            ray.kill(worker)
        bar.close()
        stats.seconds = time.perf_counter() - started
    return stats
