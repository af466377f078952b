"""`agent-rl judge agreement`: how often a judge agrees with the WebArena rule evaluators.

Give it the output folders of `agent-rl webarena eval` (e.g. one run of the oracle and one of a wrong or weak
agent, so both outcomes occur). Each episode is judged from its task, final answer and last screenshots;
the rule-based score is the ground truth. Writes accuracy, false-positive and false-negative rates and
Cohen's kappa, with each verdict.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from agent_rl.backends import closing, make_backend
from agent_rl.core.types import Episode
from agent_rl.errors import UserError
from evaluator.judge.agreement import agreement_report
from evaluator.judge.judge import Judge, judge_input


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    agree = sub.add_parser("agreement", help="judge verdicts versus rule-based scores")
    agree.add_argument(
        "--results", type=Path, nargs="+", required=True, help="`webarena eval` output folders"
    )
    agree.add_argument("--judge", required=True, help="judge model path / hub id, or the served model's name")
    agree.add_argument("--backend", default="transformers", help="transformers, served, openai or vllm")
    agree.add_argument("--base-url", default=None, help="server URL for the openai backend")
    agree.add_argument("--last-k", type=int, default=3, help="screenshots shown to the judge")
    agree.add_argument("--max-new-tokens", type=int, default=256)
    agree.add_argument("--out", type=Path, required=True, help="JSON report")


def ruled_episodes(folders: list[Path]) -> list[tuple[Episode, Path]]:
    """The rule-scored episodes (no error) in the episode stores of `webarena eval` output folders."""
    from agent_rl.rollout.store import EpisodeStore

    found = []
    for folder in folders:
        store = EpisodeStore(folder)
        if not store.path.exists():
            raise UserError(f"{store.path} not found: pass folders written by `agent-rl webarena eval --out`")
        found += [
            (e, folder) for e in store.read() if not e.error and e.turns and "rule_score" in e.turns[-1].info
        ]
    if not found:  # agreement over nothing would read as perfect (kappa 1.0)
        raise UserError(f"no rule-scored episodes in {', '.join(map(str, folders))}: nothing to judge")
    return found


def judge_results(judge: Judge, folders: list[Path]) -> dict[str, Any]:
    episodes = ruled_episodes(folders)
    verdicts = judge.judge([judge_input(episode, folder) for episode, folder in episodes])
    truth = [episode.turns[-1].info["rule_score"] == 1.0 for episode, _ in episodes]
    report = agreement_report([v.success for v in verdicts], truth)
    report["unparsable"] = sum(not v.parsed for v in verdicts)
    report["verdicts"] = [
        {
            "task_id": episode.task.get("task_id"),
            "truth": t,
            "judge": v.success,
            "parsed": v.parsed,
            "reason": v.reason[:300],
        }
        for (episode, _), t, v in zip(episodes, truth, verdicts, strict=True)
    ]
    return report


def main(args: argparse.Namespace) -> int:
    spec: dict[str, Any] = {"type": args.backend, "model": args.judge}
    if args.backend == "openai":
        if not args.base_url:
            raise UserError("--backend openai needs --base-url (e.g. http://127.0.0.1:8000/v1)")
        spec["base_url"] = args.base_url
    with closing(make_backend(spec)) as backend:
        report = judge_results(Judge(backend, "vlm", args.last_k, args.max_new_tokens), args.results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    summary = {
        k: report[k] for k in ("n", "accuracy", "false_positive_rate", "false_negative_rate", "cohens_kappa")
    }
    print(json.dumps({**summary, "unparsable": report["unparsable"]}, indent=2))
    print(f"wrote {args.out}")
    return 0
