"""`agent-rl bench verified`: what a faithful WebArena / WebArena-Verified run costs, side by side in one run.

On the bundled sites:
1. **Fresh login per task vs saved storage states.** `WebEnv.reset` (a context, the sign-in, the start pages,
   the first observation) of each bundled task that needs a login, once signing in through the sites' login
   forms (`login="fresh"`, WebArena's harness) and once applying a storage state saved before the run
   (`login="saved"`), the two modes alternating task by task. Reports the median reset of each, their ratio,
   and how many resets ended signed in.
2. **Network trace recording.** The oracle plays read-only bundled tasks through `run_webarena` with and
   without `record_network` (what Verified scoring reads), signing in afresh as `eval webarena` does. Reports
   tasks per minute of each, their ratio, and the HAR size per episode.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from agent_rl.core.bounds import Count
from agent_rl.core.cli_args import arg_type


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tasks", type=arg_type(Count), default=16, help="bundled tasks per measurement")


def _signed_in(env: Any) -> bool:
    cookies = env.session.host.run(env.session._context.cookies())
    return any(c["name"].endswith("_session") for c in cookies)


def _resets(tasks: list[Any], urls: dict[str, str], auth: str, host: Any) -> dict[str, Any]:
    from envs.web.env import WebEnv, WebEnvConfig

    base = WebEnvConfig(screenshots=False, auth_dir=auth, login_flows="bundled")
    envs = {
        mode: WebEnv(base.model_copy(update={"login": mode}), host=host, urls=urls)
        for mode in ("saved", "fresh")
    }
    seconds: dict[str, list[float]] = {mode: [] for mode in envs}
    signed: dict[str, int] = {mode: 0 for mode in envs}
    try:
        for env in envs.values():  # warm-up: each env's first context
            env.reset(options={"task": tasks[0].model_dump()})
        for index, task in enumerate(tasks):
            order = ("saved", "fresh") if index % 2 == 0 else ("fresh", "saved")
            for mode in order:
                started = time.perf_counter()
                envs[mode].reset(options={"task": task.model_dump()})
                seconds[mode].append(time.perf_counter() - started)
                signed[mode] += _signed_in(envs[mode])
    finally:
        for env in envs.values():
            env.close()
    median = {mode: statistics.median(values) for mode, values in seconds.items()}
    return {
        "tasks": len(tasks),
        "median_reset_s": {mode: round(value, 4) for mode, value in median.items()},
        "fresh_vs_saved": round(median["fresh"] / median["saved"], 2),
        "signed_in": signed,
    }


def _runs(tasks: list[Any], urls: dict[str, str], host: Any) -> dict[str, Any]:
    from agent_rl.rollout.webarena import RunSettings, run_webarena
    from envs.web.env import WebEnvConfig
    from evaluator.webarena.judge import WordForWord
    from evaluator.webarena.scripted import oracle_agent

    rates, sizes, ok = {}, [], {}
    for record in (False, True, False, True):  # each twice, interleaved; the second of each counts
        with TemporaryDirectory(prefix="bench-verified-") as out:
            config = WebEnvConfig(
                screenshots=False, record_network=record, login="fresh", login_flows="bundled"
            )
            settings = RunSettings(
                Path(out), urls, parallel=4, env=config, judge=WordForWord(), save_screenshots=False
            )
            started = time.perf_counter()
            rows = run_webarena(tasks, settings, make_agent=lambda task: oracle_agent(task, urls), host=host)
            key = "with_trace" if record else "without_trace"
            rates[key] = 60 * len(tasks) / (time.perf_counter() - started)
            ok[key] = sum(r["success"] for r in rows)
            if record:
                sizes = [p.stat().st_size for p in Path(out).glob("episodes/*/network.har")]
    return {
        "tasks": len(tasks),
        "tasks_per_minute": {k: round(v, 2) for k, v in rates.items()},
        "trace_vs_none": round(rates["with_trace"] / rates["without_trace"], 2),
        "har_bytes_per_episode": {
            "mean": round(statistics.mean(sizes)) if sizes else 0,
            "max": max(sizes or [0]),
        },
        "all_scored_1": all(v == len(tasks) for v in ok.values()),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    from agent_rl.bench._bundled import bundled_run

    count = 4 if getattr(args, "quick", False) else getattr(args, "tasks", 16)
    with bundled_run() as bundled:
        login_tasks = [t for t in bundled.tasks if t.require_login][:count]
        return {
            "login": _resets(login_tasks, bundled.urls, bundled.auth_dir, bundled.host),
            "network_trace": _runs(bundled.read_only(count), bundled.urls, bundled.host),
        }
