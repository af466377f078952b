"""`agent-rl validate webarena` and `agent-rl eval webarena`: check WebArena task configs, and evaluate an
agent on them (`evaluator.webarena.evaluation` does the work).

    agent-rl validate webarena --tasks test.raw.json
    agent-rl eval webarena --tasks test.raw.json --sites-from-env --model MODEL --out runs/wa
    agent-rl eval webarena --bundled --model oracle --out runs/wa-bundled --parallel 4

`eval` writes results.jsonl (one line per finished task, kept across reruns), summary.json (success by site
and by eval type) and report.html (each episode's screenshots and actions) into --out.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from agent_rl.backends.options import add_backend_arguments, backend_spec
from agent_rl.errors import UserError

SITE_FLAGS = ("shopping", "shopping_admin", "reddit", "gitlab", "wikipedia", "map", "homepage")


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    validate = add(
        "validate", "webarena", "count tasks by site and eval type; name the ones we cannot handle"
    )
    validate.add_argument(
        "--tasks", type=Path, required=True, help="task config JSON (a list of tasks, one task, or a folder)"
    )
    validate.add_argument("--json", action="store_true", help="print the report as JSON")
    validate.add_argument(
        "--out", type=Path, default=None, help="also write validation.json into this folder"
    )
    validate.set_defaults(main=validate_tasks)

    ev = add("eval", "webarena", "run an agent on tasks and score it with the WebArena evaluators")
    ev.set_defaults(main=evaluate)
    source = ev.add_mutually_exclusive_group(required=True)
    source.add_argument("--tasks", type=Path, help="task config JSON with __SITE__ placeholders")
    source.add_argument("--bundled", action="store_true", help="start the bundled sites and run their tasks")
    ev.add_argument(
        "--sites-from-env", action="store_true", help="site URLs from SHOPPING, REDDIT, ... variables"
    )
    for name in SITE_FLAGS:
        ev.add_argument(f"--{name.replace('_', '-')}", metavar="URL", help=f"URL of the {name} site")
    ev.add_argument(
        "--model",
        required=True,
        help="'oracle' (scripted solutions), 'wrong' (their deliberately wrong variants) or a model path / hub id",
    )
    add_backend_arguments(ev)  # for the model agent and the judge
    ev.add_argument(
        "--judge-model", default=None, help="model for fuzzy_match / N/A judgements (same backend)"
    )
    ev.add_argument("--out", type=Path, required=True, help="output folder (a rerun resumes it)")
    ev.add_argument("--parallel", type=int, default=4, help="browser contexts running at once")
    ev.add_argument("--max-steps", type=int, default=30)
    ev.add_argument("--task-ids", default=None, help="comma-separated task ids to run (default all)")
    ev.add_argument(
        "--auth-dir", type=Path, default=None, help="folder of storage-state files for login tasks"
    )
    ev.add_argument("--vision", action="store_true", help="give the model the set-of-marks screenshot")
    ev.add_argument("--no-screenshots", action="store_true", help="text observations only; faster, no images")
    ev.add_argument("--max-new-tokens", type=int, default=256)
    ev.add_argument(
        "--max-tree-chars", type=int, default=16000, help="cut the tree in the prompt to this length"
    )


def validate_tasks(args: argparse.Namespace) -> int:
    from envs.web.tasks import validate_tasks

    report = validate_tasks(args.tasks)  # raises UserError (exit 2) on a malformed file
    record = {
        "tasks": len(report.tasks),
        "by_site": dict(report.by_site),
        "by_eval_type": dict(report.by_eval_type),
        "problems": [p.model_dump() for p in report.problems],
    }
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "validation.json").write_text(json.dumps(record, indent=2))
    if args.json:
        print(json.dumps(record, indent=2))
    else:
        print(f"{report.path}: {len(report.tasks)} tasks")
        print("by site:")
        for key, count in sorted(report.by_site.items()):
            print(f"  {key:<32} {count}")
        print("by eval type:")
        for key, count in sorted(report.by_eval_type.items()):
            print(f"  {key:<32} {count}")
        if report.problems:
            print(f"{len(report.problems)} task(s) cannot be handled:")
            for p in report.problems:
                print(f"  task {p.task_id} (entry {p.index}, {p.kind}): {p.reason}")
        else:
            print("every task can be handled")
    invalid = any(p.kind == "invalid" for p in report.problems)
    return 1 if invalid else 0


def _flag_urls(args: argparse.Namespace) -> dict[str, str]:
    return {name.upper(): getattr(args, name) for name in SITE_FLAGS if getattr(args, name, None)}


def evaluate(args: argparse.Namespace) -> int:
    from evaluator.webarena.evaluation import WebArenaEval, evaluate_webarena

    backend_spec(args, args.model)  # checks --backend / --base-url before anything starts
    if args.vision and args.no_screenshots:
        raise UserError("--vision needs screenshots; drop --no-screenshots")
    request = WebArenaEval(
        model=args.model,
        out=args.out,
        tasks=None if args.bundled else args.tasks,
        urls=_flag_urls(args),
        sites_from_env=args.sites_from_env,
        judge_model=args.judge_model,
        backend=args.backend,
        base_url=args.base_url,
        parallel=args.parallel,
        max_steps=args.max_steps,
        task_ids=None if not args.task_ids else [t.strip() for t in args.task_ids.split(",") if t.strip()],
        auth_dir=args.auth_dir,
        vision=args.vision,
        screenshots=not args.no_screenshots,
        max_new_tokens=args.max_new_tokens,
        max_tree_chars=args.max_tree_chars,
    )
    summary = evaluate_webarena(request)
    overall = summary["overall"]
    print(json.dumps({k: summary[k] for k in ("overall", "by_site", "by_eval_type")}, indent=2))
    print(
        f"{overall['success']}/{overall['tasks']} succeeded; wrote {args.out}/results.jsonl, summary.json, report.html"
    )
    if summary["errors"]:
        print(f"{len(summary['errors'])} task(s) ended with an error; see summary.json", file=sys.stderr)
    return 0
