"""Episodes per minute: Ray env workers (model served over loopback HTTP) versus the local runner (model
in process), on GeneralPoints with the same tiny model, sampling settings and episodes, in one run."""

from __future__ import annotations

import argparse
import functools
import tempfile
from pathlib import Path

from agent_rl.backends.base import SamplingParams
from agent_rl.backends.openai_server import serving
from agent_rl.backends.transformers_backend import TransformersBackend
from agent_rl.core.bounds import Count
from agent_rl.core.cli_args import arg_type
from agent_rl.models.tiny import build_tiny_text_model
from agent_rl.rollout.distributed import RayRolloutConfig, import_ray, run_rollouts_ray
from agent_rl.rollout.runner import EpisodeSpec, run_rollouts
from envs.generalpoints import GeneralPointsEnv


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--episodes", type=arg_type(Count), default=64)
    parser.add_argument("--workers", type=arg_type(Count), default=2)


def run(args: argparse.Namespace) -> dict:
    ray = import_ray()
    n = 16 if args.quick else args.episodes
    specs = [
        EpisodeSpec(f"ep-{i}", functools.partial(GeneralPointsEnv, max_attempts=3), seed=i) for i in range(n)
    ]
    params = SamplingParams(max_new_tokens=32, temperature=1.0, seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        backend = TransformersBackend(build_tiny_text_model(Path(tmp) / "tiny", seed=0))
        run_rollouts(backend, specs[:4], params, None, progress=False)  # warm-up: first calls are slow
        local = run_rollouts(backend, specs, params, None, progress=False)
        ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False, configure_logging=False)
        try:
            with serving(backend, "tiny") as spec:
                config = RayRolloutConfig(
                    num_workers=args.workers, chunk_size=max(1, n // (2 * args.workers))
                )
                distributed = run_rollouts_ray(spec, specs, params, None, config, progress=False)
        finally:
            ray.shutdown()
    local_rate = 60 * len(local.episodes) / local.seconds
    ray_rate = 60 * len(distributed.episodes) / distributed.seconds
    return {
        "episodes": n,
        "workers": args.workers,
        "local_episodes_per_min": round(local_rate, 1),
        "ray_episodes_per_min": round(ray_rate, 1),
        "ray_over_local": round(ray_rate / local_rate, 3),
        "note": "2-core machine: Ray pays for worker start-up and HTTP; it pays off when envs (browsers) "
        "dominate and workers span machines",
    }
