"""`agent-rl bench webeval`: what the WebArena run through `run_rollouts` costs, side by side in one run.

On the bundled sites, the oracle plays the same read-only tasks (string_match / url_match, so no lane
serialises them; fuzzy answers judged word for word) with 4 live episodes, once with env steps run one after another in the rollout loop
(`step_workers=1`) and once with each round's steps in 4 threads (`step_workers=4`). Reports the tasks
per minute of each and their ratio, and that every task scored 1 both times.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from agent_rl.core.bounds import Count
from agent_rl.core.cli_args import arg_type


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tasks", type=arg_type(Count), default=24, help="read-only bundled tasks per setting"
    )


def _timed(tasks: list[Any], urls: dict[str, str], auth: str, host: Any, workers: int) -> tuple[float, int]:
    from agent_rl.backends.base import SamplingParams
    from agent_rl.rollout.runner import run_rollouts
    from agent_rl.rollout.webarena import RunSettings, task_specs
    from envs.web.env import WebEnvConfig
    from evaluator.webarena.judge import WordForWord
    from evaluator.webarena.scripted import oracle_agent

    with TemporaryDirectory(prefix="bench-webeval-") as out:
        config = WebEnvConfig(screenshots=False, auth_dir=auth)
        settings = RunSettings(
            Path(out), urls, parallel=4, env=config, judge=WordForWord(), save_screenshots=False
        )
        specs = task_specs(tasks, settings, host, make_agent=lambda task: oracle_agent(task, urls))
        started = time.perf_counter()
        stats = run_rollouts(
            None, specs, SamplingParams(), max_concurrent=4, progress=False, step_workers=workers
        )
        seconds = time.perf_counter() - started
    return seconds, sum(e.success for e in stats.episodes)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from agent_rl.bench._bundled import bundled_run

    count = 4 if getattr(args, "quick", False) else getattr(args, "tasks", 24)
    with bundled_run() as bundled:
        tasks, urls, auth, host = bundled.read_only(count), bundled.urls, bundled.auth_dir, bundled.host
        _timed(tasks[:1], urls, auth, host, 1)  # warm-up: the browser launch and first page loads
        serial, serial_ok = _timed(tasks, urls, auth, host, 1)
        threaded, threaded_ok = _timed(tasks, urls, auth, host, 4)
    return {
        "tasks": len(tasks),
        "live_episodes": 4,
        "tasks_per_minute": {
            "steps_in_turn": round(60 * len(tasks) / serial, 2),
            "steps_in_4_threads": round(60 * len(tasks) / threaded, 2),
        },
        "speedup_threaded_vs_in_turn": round(serial / threaded, 2),
        "all_scored_1": serial_ok == threaded_ok == len(tasks),
    }
