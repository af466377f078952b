"""`agent-rl eval generalpoints`: success on a fixed, seeded evaluation set, with intervals.

    agent-rl eval generalpoints --model runs/demo/model --variant rule_ood --out runs/eval/gp-rule-ood

Writes summary.json and summary.md into --out, with the episodes beside them (a rerun resumes).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from agent_rl.backends.options import add_backend_arguments, backend_spec


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    parser = add("eval", "generalpoints", "success on GeneralPoints' fixed evaluation hands")
    parser.add_argument("--model", required=True, help="local model folder or Hugging Face model id")
    add_backend_arguments(parser)
    parser.add_argument("--modality", default="text", help="text (GP-L) or vision (GP-VL)")
    parser.add_argument("--variant", default="id", help="id, rule_ood (J/Q/K = 11/12/13) or visual_ood (red)")
    parser.add_argument("--episodes", type=int, default=234, help="hands from the fixed evaluation set")
    parser.add_argument("--seed", type=int, default=0, help="which evaluation set, and the sampling seed")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default runs/eval/generalpoints_VARIANT_MODALITY)",
    )
    parser.add_argument("--max-attempts", type=int, default=5, help="verification attempts per episode")
    parser.add_argument("--temperature", type=float, default=0.0, help="0 is greedy")
    parser.add_argument("--top-p", type=float, default=1.0)
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32, help="prompts per generate call")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(main=main)


def main(args: argparse.Namespace) -> int:
    from agent_rl.backends import make_backend
    from agent_rl.rollout.gp_eval import EvalSettings, evaluate_generalpoints

    out: Path = args.out or Path("runs/eval") / f"generalpoints_{args.variant}_{args.modality}"
    settings = EvalSettings(
        args.variant,
        args.modality,
        args.episodes,
        args.seed,
        args.max_attempts,
        args.temperature,
        args.top_p,
        args.max_new_tokens,
        args.batch_size,
    )
    settings.check()  # before loading a model, so a typo costs nothing
    spec = backend_spec(args, args.model)
    model = args.model if args.backend == "transformers" else make_backend(spec)
    result = evaluate_generalpoints(model, out_dir=out, progress=not args.no_progress, **asdict(settings))
    low, high = result["success_rate_ci95"]
    print(
        f"success {result['success_rate']:.1%} (95% CI {low:.1%}-{high:.1%}), "
        f"mean reward {result['mean_reward']:.2f} over {result['episodes']} episodes"
    )
    print(f"wrote {out / 'summary.json'} and {out / 'summary.md'}")
    return 0
