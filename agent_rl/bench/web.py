"""`agent-rl bench web`: how fast the browser env turns an action into the next observation.

Side by side in one run, on the bundled sites:
- latency from action to next observation (median, p95), with the full observation (tree + screenshot +
  set-of-marks) and with the tree only, against PAE's fixed 10 s sleep after every action;
- episodes per minute with 1, 4 and 8 parallel browser contexts sharing one browser, against one context,
  and against PAE's sleep-bound rate for the same number of steps.
Each episode is a scripted walk: open a page, follow a link, scroll, go back, search, stop.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from agent_rl.core.bounds import Count
from agent_rl.core.cli_args import arg_type, comma_list

PAE_SLEEP_S = 10.0
TARGET_MEDIAN_S = 0.3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--episodes", type=arg_type(Count), default=16, help="episodes per parallel setting")
    parser.add_argument(
        "--parallel",
        type=comma_list(Count),
        default=[1, 4, 8],
        help="comma-separated numbers of parallel contexts",
    )


def _walk(env: Any, start_url: str, seed: int) -> list[float]:
    """One scripted episode; returns each step's action-to-observation latency."""
    rng = random.Random(seed)
    obs, _ = env.reset(
        options={"task": {"task_id": f"bench-{seed}", "intent": "browse", "start_url": start_url}}
    )
    latencies = []

    def step(action: str) -> dict[str, Any]:
        nonlocal obs
        obs, _, _, _, info = env.step(action)
        latencies.append(info["latency_s"])
        return obs

    links = [e for e in obs["elements"] if e["role"] == "link" and e["name"]]
    if links:
        step(f"click [{rng.choice(links)['id']}]")
    step("scroll [down]")
    step("go_back")
    boxes = [e for e in obs["elements"] if e["role"] in ("textbox", "searchbox")]
    if boxes:
        step(f"type [{boxes[0]['id']}] [{rng.choice(['red', 'guide', 'history', 'blue'])}] [1]")
    step("stop [done]")
    return latencies[:-1]  # `stop` reads no page


def _latencies(host: Any, urls: list[str], episodes: int, screenshots: bool) -> list[float]:
    from envs.web.env import WebEnv, WebEnvConfig

    env = WebEnv(WebEnvConfig(evaluate=False, screenshots=screenshots), host=host)
    out: list[float] = []
    for i in range(episodes):
        out += _walk(env, urls[i % len(urls)], i)
    env.close()
    return out


def _throughput(host: Any, urls: list[str], episodes: int, parallel: int) -> tuple[float, int]:
    """Episodes per minute with PARALLEL contexts, and the steps taken."""
    from envs.web.env import WebEnv, WebEnvConfig

    envs = [WebEnv(WebEnvConfig(evaluate=False), host=host) for _ in range(parallel)]

    def lane(index: int) -> int:
        seeds = range(index, episodes, parallel)
        return sum(len(_walk(envs[index], urls[s % len(urls)], s)) + 1 for s in seeds)

    started = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        steps = sum(pool.map(lane, range(parallel)))
    elapsed = time.perf_counter() - started
    for env in envs:
        env.close()
    return episodes / elapsed * 60.0, steps


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def run(args: argparse.Namespace) -> dict[str, Any]:
    from envs.web.browser import BrowserHost
    from envs.web.sites.launcher import start_sites

    quick = getattr(args, "quick", False)
    episodes = 1 if quick else getattr(args, "episodes", 16)
    levels = [1, 2] if quick else list(getattr(args, "parallel", [1, 4, 8]))
    host = BrowserHost()
    try:
        with start_sites() as sites:
            urls = [sites.urls[k] for k in ("shopping", "reddit", "wikipedia") if k in sites.urls]
            if not quick:
                _latencies(host, urls[:1], 1, True)  # warm-up: the browser launch and first page loads
            full = _latencies(host, urls, 2 if quick else max(episodes, 3), True)
            text = _latencies(host, urls, 1 if quick else max(episodes, 3), False)
            per_minute: dict[str, float] = {}
            steps_per_episode = 0.0
            for level in levels:
                n = level if quick else max(episodes, 2 * level)
                rate, steps = _throughput(host, urls, n, level)
                per_minute[str(level)] = round(rate, 2)
                steps_per_episode = steps / n
    finally:
        host.close()
    median = statistics.median(full)
    base = per_minute[str(levels[0])]
    pae_rate = 60.0 / (PAE_SLEEP_S * max(steps_per_episode, 1.0))
    return {
        "quick": quick,
        "latency_s": {
            "full_observation": {"median": round(median, 4), "p95": round(_p95(full), 4), "n": len(full)},
            "tree_only": {
                "median": round(statistics.median(text), 4),
                "p95": round(_p95(text), 4),
                "n": len(text),
            },
        },
        "reference_pae_sleep_s": PAE_SLEEP_S,
        "speedup_vs_pae_sleep": round(PAE_SLEEP_S / median, 1),
        "target_median_s": TARGET_MEDIAN_S,
        "meets_target": median <= TARGET_MEDIAN_S,
        "episodes_per_minute": per_minute,
        "parallel_speedup_vs_1": {k: round(v / base, 2) for k, v in per_minute.items()},
        "steps_per_episode": round(steps_per_episode, 2),
        "pae_sleep_bound_episodes_per_minute_per_browser": round(pae_rate, 3),
    }
