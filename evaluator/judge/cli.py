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

from PIL import Image

from agent_rl.backends import closing, make_backend
from agent_rl.core.jsonl import read_jsonl
from agent_rl.errors import UserError
from evaluator.judge.agreement import agreement_report
from evaluator.judge.judge import Judge, JudgeInput


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


def episodes_from_results(folders: list[Path]) -> list[tuple[dict[str, Any], Path]]:
    rows = []
    for folder in folders:
        path = folder / "results.jsonl"
        if not path.exists():
            raise UserError(f"{path} not found: pass folders written by `agent-rl webarena eval --out`")
        rows += [(row, folder) for row in read_jsonl(path)]
    if not rows:
        raise UserError(f"no finished episodes in {', '.join(map(str, folders))}: nothing to judge")
    return rows


def judge_results(judge: Judge, folders: list[Path]) -> dict[str, Any]:
    rows = [(row, folder) for row, folder in episodes_from_results(folders) if not row.get("error")]
    items = [
        JudgeInput(
            task=row.get("intent", ""),
            answer=row.get("answer"),
            screenshots=[Image.open(folder / p) for p in row.get("screenshots", [])[-judge.last_k :]],
        )
        for row, folder in rows
    ]
    verdicts = judge.judge(items)
    truth = [bool(row["success"]) for row, _ in rows]
    report = agreement_report([v.success for v in verdicts], truth)
    report["unparsable"] = sum(not v.parsed for v in verdicts)
    report["verdicts"] = [
        {
            "task_id": row["task_id"],
            "truth": t,
            "judge": v.success,
            "parsed": v.parsed,
            "reason": v.reason[:300],
        }
        for (row, _), t, v in zip(rows, truth, verdicts, strict=True)
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
