"""`agent-rl bench rl`: where an RL iteration's time goes, and our RL step against TRL's GRPOTrainer step.

1. Multi-turn GeneralPoints iterations of the `rl` stage (2 epochs, so old log-probs are recomputed): seconds
   in rollout, log-prob recompute and update, and tokens per second.
2. Single-turn, same tiny model, sampling settings and batch (hands x group), one epoch each: optimiser
   updates per second of our `rl` stage divided by TRL GRPOTrainer's, both timed in this run after a warm-up.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path
from statistics import mean

from agent_rl.core.bounds import Count
from agent_rl.core.cli_args import arg_type
from agent_rl.train.grpo_trl import GroupSize
from envs.generalpoints import SEEDS, EnvOptions


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="model folder (default: build a tiny one)")
    parser.add_argument(
        "--hands", type=arg_type(Count), default=4, help="hands per update (each played by a group)"
    )
    parser.add_argument(
        "--group",
        type=arg_type(GroupSize),
        default=4,
        help="completions per hand (GRPO compares two or more)",
    )
    parser.add_argument("--max-new-tokens", type=arg_type(Count), default=32)


def _our_steps(
    model: str, env: EnvOptions, args, steps: int, out_dir: Path, epochs: int = 1, seed: int = 0
) -> list[dict[str, float]]:
    from agent_rl.backends.transformers_backend import TransformersBackend
    from agent_rl.train import gp_rl, rl
    from agent_rl.train.episodes import deal_hands

    config = rl.RLConfig(
        env=env,
        hands_per_iter=args.hands,
        group_size=args.group,
        epochs=epochs,
        minibatch_size=args.hands * args.group * env.max_attempts,
        micro_batch_size=args.hands * args.group,
        max_new_tokens=args.max_new_tokens,
        lr=1e-5,
        clip=0.2,
    )
    trainer = rl.RLTrainer(model, config, seed)
    backend = TransformersBackend(trainer.model, trainer.tokenizer, trainer.processor, max_batch_size=64)
    rng = random.Random(seed)
    out = []
    for step in range(steps + 1):  # the first is a warm-up
        hands = deal_hands(env, args.hands, seed=SEEDS["bench"] + step * args.hands)
        metrics = gp_rl.rl_iteration(
            trainer, backend, hands, gp_rl.sampling(config, step), rng, out_dir / f"step-{step}"
        )
        metrics["seconds"] = metrics["rollout_s"] + metrics["logprob_s"] + metrics["update_s"]
        if step:
            out.append(metrics)
    return out


def _trl_steps(model: str, env: EnvOptions, args, steps: int, out_dir: str) -> list[float]:
    from transformers import TrainerCallback

    from agent_rl.train import grpo_trl

    stamps: list[float] = []

    class Clock(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            stamps.append(time.perf_counter())

        def on_train_end(self, args, state, control, **kwargs):
            stamps.append(time.perf_counter())

    config = grpo_trl.GRPOSettings(
        env=env,
        hands=(steps + 1) * args.hands,
        steps=steps + 1,
        hands_per_step=args.hands,
        group_size=args.group,
        max_new_tokens=args.max_new_tokens,
        lr=1e-5,
    )
    trainer, _ = grpo_trl.build_trainer(model, config, out_dir, 0, callbacks=[Clock()], disable_tqdm=True)
    trainer.train()
    durations = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    return durations[1:]  # drop the warm-up step


def run(args: argparse.Namespace) -> dict:
    import torch

    torch.set_num_threads(1)
    quick = getattr(args, "quick", False)
    steps = 2 if quick else 5
    with tempfile.TemporaryDirectory(prefix="bench-rl-") as tmp:
        model = getattr(args, "model", None)
        if model is None:
            from agent_rl.models.tiny import build_tiny_text_model

            model = str(build_tiny_text_model(Path(tmp) / "model", seed=0))
        for name, default in (("hands", 4), ("group", 4), ("max_new_tokens", 32)):
            if getattr(args, name, None) is None:
                setattr(args, name, default)
        multi = _our_steps(
            model, EnvOptions(max_attempts=2 if quick else 5), args, steps, Path(tmp) / "multi", epochs=2
        )
        single_env = EnvOptions(max_attempts=1)
        ours = [m["seconds"] for m in _our_steps(model, single_env, args, steps, Path(tmp) / "single")]
        theirs = _trl_steps(model, single_env, args, steps, str(Path(tmp) / "trl"))
    split = {key: mean(m[key] for m in multi) for key in ("rollout_s", "logprob_s", "update_s", "seconds")}
    ours_rate, theirs_rate = 1 / mean(ours), 1 / mean(theirs)
    return {
        "settings": {
            "hands": args.hands,
            "group": args.group,
            "max_new_tokens": args.max_new_tokens,
            "steps": steps,
        },
        "multi_turn_iteration": {
            **{k: round(v, 3) for k, v in split.items()},
            "rollout_fraction": round(split["rollout_s"] / split["seconds"], 3),
            "logprob_fraction": round(split["logprob_s"] / split["seconds"], 3),
            "update_fraction": round(split["update_s"] / split["seconds"], 3),
            "tokens_per_s": round(mean(m["tokens_per_s"] for m in multi), 1),
            "mean_turns": round(mean(m["mean_turns"] for m in multi), 2),
        },
        "single_turn": {
            "ours_updates_per_s": round(ours_rate, 4),
            "trl_grpo_updates_per_s": round(theirs_rate, 4),
        },
        "ratio_ours_over_trl_updates_per_s": round(ours_rate / theirs_rate, 3),
    }
