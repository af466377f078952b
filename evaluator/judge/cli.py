"""`agent-rl eval judge`: how often a judge agrees with the WebArena rule evaluators.

    agent-rl eval judge --model runs/tiny-vl --runs runs/oracle runs/wrong --out runs/agreement

Give it the output folders of `agent-rl eval webarena` (e.g. one run of the oracle and one of a wrong or weak
agent, so both outcomes occur). Each episode is judged from its task, final answer and last screenshots;
the rule-based score is the ground truth. Writes accuracy, false-positive and false-negative rates and
Cohen's kappa, with each verdict, to agreement.json in --out.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

from agent_rl.backends import closing, make_backend
from agent_rl.backends.options import add_backend_arguments, backend_spec
from agent_rl.errors import UserError
from evaluator.judge.agreement import agreement_report
from evaluator.judge.judge import Judge, JudgeInput


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    agree = add("eval", "judge", "judge verdicts versus the WebArena rule-based scores")
    agree.add_argument("--model", required=True, help="judge model path / hub id, or the served model's name")
    add_backend_arguments(agree)
    agree.add_argument("--runs", type=Path, nargs="+", required=True, help="`eval webarena` output folders")
    agree.add_argument("--last-k", type=int, default=3, help="screenshots shown to the judge")
    agree.add_argument("--max-new-tokens", type=int, default=256)
    agree.add_argument("--out", type=Path, required=True, help="output folder for agreement.json")
    agree.set_defaults(main=main)


def episodes_from_results(folders: list[Path]) -> list[tuple[dict[str, Any], Path]]:
    rows = []
    for folder in folders:
        path = folder / "results.jsonl"
        if not path.exists():
            raise UserError(f"{path} not found: pass folders written by `agent-rl eval webarena --out`")
        rows += [(json.loads(line), folder) for line in path.read_text().splitlines() if line.strip()]
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
    with closing(make_backend(backend_spec(args, args.model))) as backend:
        report = judge_results(Judge(backend, "vlm", args.last_k, args.max_new_tokens), args.runs)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "agreement.json"
    path.write_text(json.dumps(report, indent=2))
    summary = {
        k: report[k] for k in ("n", "accuracy", "false_positive_rate", "false_negative_rate", "cohens_kappa")
    }
    print(json.dumps({**summary, "unparsable": report["unparsable"]}, indent=2))
    print(f"wrote {path}")
    return 0
