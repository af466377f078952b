"""One PAE iteration (propose -> web rollout -> judge -> filtered BC) on the bundled sites with a tiny
model served locally, timed by stage: each stage's share of the iteration, measured in one run."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from agent_rl.core.bounds import Count
from agent_rl.core.cli_args import arg_type
from agent_rl.recipe import Recipe, run_recipe


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tasks-per-site", type=arg_type(Count), default=4)
    parser.add_argument("--max-steps", type=arg_type(Count), default=5)


def one_iteration_recipe(sites: list[str], tasks_per_site: int, max_steps: int) -> dict[str, Any]:
    """The PAE loop's stages once, small enough for a CPU: tiny model as proposer, agent and judge."""
    served = {"type": "served"}
    return {
        "name": "pae_iteration",
        "seed": 0,
        "model": "tiny",
        "tiny": {"hidden_size": 64, "layers": 1},
        "stages": [
            {
                "name": "propose",
                "type": "propose",
                "inputs": {"proposer": "model"},
                "propose": {
                    "sites": sites,
                    "tasks_per_site": tasks_per_site,
                    "backend": served,
                    "max_new_tokens": 16,
                    "top_up_from_bundled": True,
                },
            },
            {
                "name": "rollout",
                "type": "web_rollout",
                "inputs": {"tasks": "propose.tasks", "model": "model"},
                "web_rollout": {
                    "max_steps": max_steps,
                    "max_new_tokens": 12,
                    "rollout": {"max_concurrent": 4},
                },
            },
            {
                "name": "judge",
                "type": "judge",
                "inputs": {"episodes": "rollout.episodes", "judge": "model"},
                "judge": {"mode": "text", "backend": served, "max_new_tokens": 8},
            },
            {
                "name": "fbc",
                "type": "filtered_bc",
                "inputs": {"model": "model", "episodes": "judge.episodes"},
                "filtered_bc": {"batch_size": 2},
            },
        ],
    }


def run(args: argparse.Namespace) -> dict:
    sites = ["wikipedia"] if args.quick else ["shopping", "reddit", "wikipedia"]
    tasks = 1 if args.quick else args.tasks_per_site
    steps = 2 if args.quick else args.max_steps
    with tempfile.TemporaryDirectory() as tmp:
        recipe = Recipe.model_validate(one_iteration_recipe(sites, tasks, steps))
        run_recipe(recipe, Path(tmp) / "run")
        state = json.loads((Path(tmp) / "run" / "state.json").read_text())
        episodes = sum(1 for _ in (Path(tmp) / "run" / "rollout" / "episodes" / "episodes.jsonl").open())
    seconds = {name: done["seconds"] for name, done in state["finished"].items()}
    total = sum(seconds.values())
    return {
        "sites": sites,
        "episodes": episodes,
        "max_steps": steps,
        "stage_seconds": seconds,
        "stage_share": {name: round(s / total, 3) for name, s in seconds.items()},
        "rollout_episodes_per_minute": round(60 * episodes / seconds["rollout"], 2),
        "iteration_seconds": round(total, 1),
    }
