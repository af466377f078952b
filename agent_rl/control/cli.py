"""`agent-rl data generate`: OGBench-format datasets from the ogbench oracles, or pointmaze navigation from our
waypoint controller (training runs through recipes).

    agent-rl data generate --env cube-single-play-v0 --episodes 1000 --out data/ogbench
    agent-rl data generate --env pointmaze-medium-navigate-v0 --episodes 1000 --out data/ogbench

Interrupt with Ctrl-C and rerun the same command to resume from the last finished chunk.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from agent_rl.core.bounds import Count, NonNegative, Seed
from agent_rl.core.cli_args import arg_type, out_folder


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    gen = add("data", "generate", "generate an OGBench-format dataset with scripted experts")
    gen.set_defaults(main=main)
    gen.add_argument("--env", default="cube-single-play-v0", help="dataset name, e.g. cube-single-play-v0")
    gen.add_argument(
        "--episodes", type=arg_type(Count), default=1000, help="training episodes (validation adds 10%%)"
    )
    gen.add_argument(
        "--out", type=out_folder, required=True, help="output folder for NAME.npz and NAME-val.npz"
    )
    gen.add_argument(
        "--noise-style",
        choices=["play", "noisy", "navigate", "stitch"],
        default=None,
        help="default: from --env",
    )
    gen.add_argument(
        "--action-noise",
        type=arg_type(NonNegative),
        default=None,
        help="pointmaze only: Gaussian σ of the controller's actions (default 0.5, OGBench's)",
    )
    gen.add_argument("--episode-steps", type=arg_type(Count), default=1000)
    gen.add_argument(
        "--chunk-episodes", type=arg_type(Count), default=10, help="episodes per resumable chunk"
    )
    gen.add_argument("--seed", type=arg_type(Seed), default=0)


def main(args: argparse.Namespace) -> int:
    from envs.control.generate import GenConfig, generate

    cfg = GenConfig(
        dataset=args.env,
        episodes=args.episodes,
        episode_steps=args.episode_steps,
        noise_style=args.noise_style,
        action_noise=args.action_noise,
        chunk_episodes=args.chunk_episodes,
        seed=args.seed,
    )
    train, val = generate(cfg, args.out)
    print(f"wrote {train} and {val}")
    return 0
