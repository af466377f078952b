"""`agent-rl eval miniwob`: MiniWoB++ pages through WebEnv, the rollout runner and the episode store.

    agent-rl eval miniwob --tasks standard --model random --out runs/miniwob-random
    agent-rl eval miniwob --tasks click-button,enter-text --model /tmp/tiny --episodes 3 --out DIR

The run folder holds `episodes.jsonl` (the
store: a rerun finishes what an interrupted one left), `summary.json` and `report.md` (success per task).
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from agent_rl.core.bounds import Count, Positive, Seed, Temperature
from agent_rl.core.cli_args import arg_type, out_folder
from agent_rl.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="model folder or id, or `random` for the random agent")
    parser.add_argument("--tasks", default="standard", help="standard (20 tasks), ci, all, or a,b,c names")
    parser.add_argument(
        "--out", type=out_folder, required=True, help="run folder (episodes, summary, report)"
    )
    parser.add_argument(
        "--episodes", type=arg_type(Count), default=2, help="episodes per task (seeds 0, 1, ...)"
    )
    parser.add_argument(
        "--seed", type=arg_type(Seed), default=0, help="first page seed; also the sampling seed"
    )
    parser.add_argument("--max-steps", type=arg_type(Count), default=10, help="actions per episode")
    parser.add_argument(
        "--episode-time-s",
        type=arg_type(Positive),
        default=None,
        help="MiniWoB++ task time limit (default: the page's own, 10 s)",
    )
    parser.add_argument(
        "--parallel", type=arg_type(Count), default=4, help="episodes at once (browser contexts)"
    )
    parser.add_argument("--backend", choices=["transformers", "vllm", "openai"], default="transformers")
    parser.add_argument("--base-url", default=None, help="server URL for --backend openai")
    parser.add_argument("--temperature", type=arg_type(Temperature), default=0.0, help="0 is greedy")
    parser.add_argument("--max-new-tokens", type=arg_type(Count), default=64)
    parser.add_argument("--vision", action="store_true", help="show the model the set-of-marks screenshot")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    parser = add("eval", "miniwob", "evaluate an agent on MiniWoB++ task pages")
    add_arguments(parser)
    parser.set_defaults(main=main)


def _agent(args: argparse.Namespace) -> Any:
    if args.model == "random":
        from envs.web.miniwob.random_agent import RandomWebAgent

        return RandomWebAgent(args.seed)
    from agent_rl.backends import make_backend

    spec: dict[str, Any] = {"type": args.backend, "model": args.model}
    if args.base_url:
        spec["base_url"] = args.base_url
    elif args.backend == "openai":
        raise UserError("--backend openai needs --base-url URL")
    return make_backend(spec)


def summarise(episodes: list[Any], wall_s: float) -> dict[str, Any]:
    """Success per task, and what an episode costs (env time: reset plus every step's action and wait)."""
    by_task: dict[str, list[Any]] = defaultdict(list)
    for episode in episodes:
        by_task[episode.task["miniwob"]["task"]].append(episode)

    def env_seconds(episode: Any) -> float:
        reset = float(episode.info.get("reset_info", {}).get("reset_s", 0.0))
        return reset + sum(float(t.info.get("latency_s", 0.0)) for t in episode.turns)

    def raw(episode: Any) -> float:
        return float(episode.turns[-1].info.get("eval", {}).get("raw_reward", 0.0)) if episode.turns else 0.0

    tasks = {
        name: {
            "episodes": len(group),
            "successes": sum(e.success for e in group),
            "success_rate": sum(e.success for e in group) / len(group),
            "mean_raw_reward": statistics.fmean(raw(e) for e in group),
            "mean_steps": statistics.fmean(len(e.turns) for e in group),
            "errors": sum(e.error is not None for e in group),
        }
        for name, group in sorted(by_task.items())
    }
    n = len(episodes)
    return {
        "episodes": n,
        "successes": sum(e.success for e in episodes),
        "success_rate": sum(e.success for e in episodes) / n if n else 0.0,
        "mean_task_success_rate": statistics.fmean(t["success_rate"] for t in tasks.values())
        if tasks
        else 0.0,
        "wall_s": wall_s,
        "mean_env_s_per_episode": statistics.fmean(map(env_seconds, episodes)) if n else 0.0,
        "tasks": tasks,
    }


def markdown(summary: dict[str, Any], model: str) -> str:
    lines = [
        f"# MiniWoB++: {model}",
        "",
        f"{summary['successes']}/{summary['episodes']} episodes succeeded "
        f"({summary['success_rate']:.1%}); mean env time per episode {summary['mean_env_s_per_episode']:.2f} s.",
        "",
        "| task | episodes | successes | success | mean raw reward | mean steps | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, row in summary["tasks"].items():
        lines.append(
            f"| {name} | {row['episodes']} | {row['successes']} | {row['success_rate']:.0%} | "
            f"{row['mean_raw_reward']:+.2f} | {row['mean_steps']:.1f} | {row['errors']} |"
        )
    return "\n".join(lines) + "\n"


def main(args: argparse.Namespace) -> int:
    from agent_rl.backends.base import SamplingParams
    from agent_rl.rollout.runner import EpisodeSpec, run_rollouts
    from agent_rl.rollout.store import EpisodeStore
    from envs.web.browser import BrowserHost
    from envs.web.env import WebEnv, WebEnvConfig
    from envs.web.miniwob.page import MiniWobScorer
    from envs.web.miniwob.server import MINIWOB_VAR, serve_miniwob
    from envs.web.miniwob.tasks import miniwob_task, resolve_names

    if args.episodes < 1 or args.parallel < 1 or args.max_steps < 1:
        raise UserError("--episodes, --parallel and --max-steps must be at least 1")
    names = resolve_names(args.tasks)
    agent = _agent(args)
    config = WebEnvConfig(
        max_steps=args.max_steps, screenshots=args.vision, vision=args.vision, prewarm=False, history=3
    )
    args.out.mkdir(parents=True, exist_ok=True)
    host = BrowserHost()
    store = EpisodeStore(args.out)
    try:
        with serve_miniwob() as base:
            urls = {MINIWOB_VAR: base}

            def make_env() -> WebEnv:
                return WebEnv(config, MiniWobScorer(), host=host, urls=urls)

            specs = [
                EpisodeSpec(
                    episode_id=f"{name}.{args.seed + i}",
                    make_env=make_env,
                    seed=args.seed + i,
                    options={"task": task},
                    task=task,
                )
                for name in names
                for task in [miniwob_task(name, base, args.episode_time_s)]
                for i in range(args.episodes)
            ]
            params = SamplingParams(
                max_new_tokens=args.max_new_tokens, temperature=args.temperature, seed=args.seed
            )
            stats = run_rollouts(
                agent,
                specs,
                params,
                store,
                max_concurrent=args.parallel,
                max_turns=args.max_steps,
                progress=not args.no_progress,
                description="miniwob",
            )
    finally:
        close = getattr(agent, "close", None)
        if close is not None:
            close()
        host.close()
    wanted = {spec.episode_id for spec in specs}
    episodes = [e for e in store.read() if e.episode_id in wanted]
    summary = summarise(episodes, stats.seconds)
    summary.update(model=args.model, tasks_run=names, episodes_per_task=args.episodes)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    (args.out / "report.md").write_text(markdown(summary, args.model))
    print(markdown(summary, args.model))
    return 0
