"""`agent-rl eval judge`: how often a judge agrees with the WebArena rule evaluators.

    agent-rl eval judge --model runs/tiny-vl --runs runs/oracle runs/wrong --out runs/agreement
    agent-rl eval judge --model smollm2-135m --mode text --runs runs/oracle runs/wrong --out runs/agreement

Give it the output folders of `agent-rl eval webarena` (e.g. one run of the oracle and one of a wrong or weak
agent, so both outcomes occur). Each episode is judged from its task, final answer and last screenshots;
the rule-based score is the ground truth. Writes accuracy, false-positive and false-negative rates and
Cohen's kappa, with each verdict, to agreement.json in --out. A scored judge (the default in text mode)
also reports the threshold on its log-odds that would have agreed best on these episodes: tune it on
training episodes and pass it with --threshold on held-out ones.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agent_rl.backends import closing, make_backend
from agent_rl.backends.options import add_backend_arguments, backend_spec
from agent_rl.core.bounds import Count
from agent_rl.core.cli_args import arg_type, out_folder
from agent_rl.core.types import Episode
from agent_rl.errors import UserError
from evaluator.judge.agreement import agreement_report, best_threshold
from evaluator.judge.judge import Judge, judge_input, verdict_for


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    agree = add("eval", "judge", "judge verdicts versus the WebArena rule-based scores")
    agree.add_argument("--model", required=True, help="judge model path / hub id, or the served model's name")
    add_backend_arguments(agree)
    agree.add_argument("--runs", type=Path, nargs="+", required=True, help="`eval webarena` output folders")
    agree.add_argument("--last-k", type=arg_type(Count), default=3, help="screenshots shown to the judge")
    agree.add_argument("--max-new-tokens", type=arg_type(Count), default=256, help="of a parsed reply")
    agree.add_argument(
        "--mode", choices=("vlm", "text"), default="vlm", help="show screenshots or the pages as text"
    )
    agree.add_argument(
        "--verdict",
        choices=("scored", "parsed"),
        default=None,
        help="scored: from the log-probabilities of the two verdicts (the default in text mode); "
        "parsed: read from the reply (the default in vlm mode)",
    )
    agree.add_argument("--threshold", type=float, default=0.0, help="scored: log-odds above which SUCCESS")
    agree.add_argument(
        "--reason-tokens", type=int, default=0, help="scored: reasoning written before the forced verdict"
    )
    agree.add_argument("--out", type=out_folder, required=True, help="output folder for agreement.json")
    agree.set_defaults(main=main)


def ruled_episodes(folders: list[Path]) -> list[tuple[Episode, Path]]:
    """The rule-scored episodes (no error) in the episode stores of `eval webarena` output folders."""
    from agent_rl.rollout.store import EpisodeStore

    found = []
    for folder in folders:
        store = EpisodeStore(folder)
        if not store.path.exists():
            raise UserError(f"{store.path} not found: pass folders written by `agent-rl eval webarena --out`")
        found += [
            (e, folder) for e in store.read() if not e.error and e.turns and "rule_score" in e.turns[-1].info
        ]
    if not found:  # agreement over nothing would read as perfect (kappa 1.0)
        raise UserError(f"no rule-scored episodes in {', '.join(map(str, folders))}: nothing to judge")
    return found


def judge_results(judge: Judge, episodes: list[tuple[Episode, Path]]) -> dict[str, Any]:
    verdicts = judge.judge([judge_input(episode, folder) for episode, folder in episodes])
    truth = [episode.turns[-1].info["rule_score"] == 1.0 for episode, _ in episodes]
    report = agreement_report([v.success for v in verdicts], truth)
    report["unparsable"] = sum(not v.parsed for v in verdicts)
    if judge.verdict == "scored":
        report["threshold"] = judge.threshold
        report["best_threshold_here"] = best_threshold([v.confidence for v in verdicts], truth)
    report["verdicts"] = [
        {
            "task_id": episode.task.get("task_id"),
            "truth": t,
            "judge": v.success,
            "parsed": v.parsed,
            "confidence": v.confidence,
            "reason": v.reason[:300],
        }
        for (episode, _), t, v in zip(episodes, truth, verdicts, strict=True)
    ]
    return report


def main(args: argparse.Namespace) -> int:
    episodes = ruled_episodes(args.runs)  # before the model loads: nothing to judge costs nothing
    verdict = verdict_for(args.mode, args.verdict)
    with closing(make_backend(backend_spec(args, args.model))) as backend:
        judge = Judge(
            backend,
            args.mode,
            args.last_k,
            args.max_new_tokens,
            verdict=verdict,
            threshold=args.threshold,
            reason_tokens=args.reason_tokens,
        )
        report = judge_results(judge, episodes)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "agreement.json"
    path.write_text(json.dumps(report, indent=2))
    summary = {
        k: report[k] for k in ("n", "accuracy", "false_positive_rate", "false_negative_rate", "cohens_kappa")
    }
    extra = {k: report[k] for k in ("unparsable", "threshold", "best_threshold_here") if k in report}
    print(json.dumps({**summary, **extra}, indent=2))
    print(f"wrote {path}")
    return 0
