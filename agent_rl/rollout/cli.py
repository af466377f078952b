"""`agent-rl eval generalpoints`: success on a fixed, seeded evaluation set, with intervals.

    agent-rl eval generalpoints --model runs/demo/model --variant rule_ood --out runs/eval/gp-rule-ood

Writes summary.json and summary.md into --out, with the episodes beside them (a rerun resumes).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from agent_rl.backends.options import add_backend_arguments, backend_spec
from agent_rl.core.cli_args import out_folder


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    from agent_rl.rollout.gp_eval import MAX_EVAL_EPISODES, EvalSettings

    default = {name: field.default for name, field in EvalSettings.model_fields.items()}
    parser = add("eval", "generalpoints", "success on GeneralPoints' fixed evaluation hands")
    parser.add_argument("--model", required=True, help="local model folder or Hugging Face model id")
    add_backend_arguments(parser)
    parser.add_argument("--modality", default=default["modality"], help="text (GP-L) or vision (GP-VL)")
    parser.add_argument(
        "--variant", default=default["variant"], help="id, rule_ood (J/Q/K = 11/12/13) or visual_ood (red)"
    )
    parser.add_argument(
        "--episodes",
        type=int,
        default=default["episodes"],
        help=f"hands from the fixed evaluation set (at most {MAX_EVAL_EPISODES:,})",
    )
    parser.add_argument(
        "--seed", type=int, default=default["seed"], help="which evaluation set, and the sampling seed"
    )
    parser.add_argument(
        "--out",
        type=out_folder,
        default=None,
        help="output folder for summary.json/.md and the episodes (default runs/eval/generalpoints_VARIANT_MODALITY)",
    )
    parser.add_argument(
        "--max-attempts", type=int, default=default["max_attempts"], help="verification attempts per episode"
    )
    parser.add_argument("--temperature", type=float, default=default["temperature"], help="0 is greedy")
    parser.add_argument("--top-p", type=float, default=default["top_p"])
    parser.add_argument("--max-new-tokens", type=int, default=default["max_new_tokens"])
    parser.add_argument(
        "--batch-size", type=int, default=default["batch_size"], help="prompts per generate call"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(main=main)


def main(args: argparse.Namespace) -> int:
    from agent_rl.backends import make_backend
    from agent_rl.errors import options_model
    from agent_rl.rollout.gp_eval import EvalSettings, evaluate_generalpoints

    settings = options_model(EvalSettings, args)  # checked before loading a model, so a typo costs nothing
    out: Path = args.out or Path("runs/eval") / f"generalpoints_{settings.variant}_{settings.modality}"
    spec = backend_spec(args, args.model)
    model = args.model if args.backend == "transformers" else make_backend(spec)
    result = evaluate_generalpoints(model, out_dir=out, settings=settings, progress=not args.no_progress)
    low, high = result["success_rate_ci95"]
    print(
        f"success {result['success_rate']:.1%} (95% CI {low:.1%}-{high:.1%}), "
        f"mean reward {result['mean_reward']:.2f} over {result['episodes']} episodes"
    )
    print(f"wrote {out / 'summary.json'} and {out / 'summary.md'}")
    return 0
