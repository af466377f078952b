"""The PAE run's evidence: held-out success by iteration, the judge against the rule scores, the task flow.

Read from the stages' own artifacts (nothing is re-run):
- held-out success: each `webarena_eval` stage's summary (iteration 0 = the warm start), with 95% Wilson
  intervals, and the model before the warm start where the recipe evaluates it;
- judge agreement: every judged episode that also has a rule score (a bundled task), per iteration and
  pooled: accuracy, false-positive and false-negative rates, Cohen's kappa;
- tasks: per iteration, proposed tasks parsed, kept, dropped (by reason), topped up from the bundled tasks,
  judged solved and rule-solved; the judged successes filtered BC trained on; rollout episodes per minute;
- what moved, in sentences: each evaluation against the one before on the same tasks (tasks gained and lost,
  McNemar's exact test), and what the iteration's filtered BC trained on (the agent's judged successes or
  demonstrations from the replay buffer), since a gain from replayed demonstrations is not PAE's own.
"""

from __future__ import annotations

import json
from collections import Counter
from itertools import pairwise
from pathlib import Path
from typing import Any

from agent_rl.core.jsonl import read_jsonl
from agent_rl.core.stats import wilson_interval
from agent_rl.report.figures import pyplot, save_figure
from agent_rl.rollout.store import EpisodeStore
from agent_rl.rollout.webarena import RESULTS_FILE
from evaluator.judge.agreement import agreement_report

DROP_REASONS = ("unparsable", "duplicate", "needs_login", "time_or_location")


def heldout_point(summary_path: Path, label: str) -> dict[str, Any]:
    overall = json.loads(summary_path.read_text())["overall"]
    low, high = wilson_interval(overall["success"], overall["tasks"])
    return {"label": label, **overall, "wilson_low": low, "wilson_high": high}


def judged_pairs(store_dir: Path) -> list[tuple[bool, bool]]:
    """(judge verdict, rule success) of every judged episode that has a rule score."""
    pairs = []
    for episode in EpisodeStore(store_dir).read():
        last = episode.turns[-1].info if episode.turns else {}
        if "rule_score" in last and "judge" in episode.info:
            pairs.append((bool(episode.info["judge"]["success"]), last["rule_score"] == 1.0))
    return pairs


def solved_tasks(summary: Path) -> dict[str, bool]:
    """Whether each task of an evaluation was solved, from the results beside its summary."""
    return {str(r["task_id"]): bool(r["success"]) for r in read_jsonl(summary.parent / RESULTS_FILE)}


def paired_change(before: dict[str, bool], after: dict[str, bool]) -> dict[str, Any]:
    """Tasks solved after but not before (gained) and the reverse (lost), over the tasks both evaluations
    have, with McNemar's exact two-sided p (the binomial test on the changed tasks)."""
    from scipy.stats import binomtest

    shared = before.keys() & after.keys()
    gained = sum(after[t] and not before[t] for t in shared)
    lost = sum(before[t] and not after[t] for t in shared)
    p = binomtest(gained, gained + lost, 0.5).pvalue if gained + lost else 1.0
    return {"tasks": len(shared), "gained": gained, "lost": lost, "mcnemar_p": p}


def what_moved(report: dict[str, Any]) -> list[str]:
    """One sentence per evaluation against the one before it, and what each iteration trained on."""
    points = ([report["before_warm_start"]] if report.get("before_warm_start") else []) + report["heldout"]
    sentences = []
    for (before, after), change in zip(pairwise(points), report["changes"], strict=True):
        verdict = "a change at the 5% level" if change["mcnemar_p"] < 0.05 else "within noise at the 5% level"
        sentences.append(
            f"{after['label']} against {before['label']}: {before['success']}/{before['tasks']} -> "
            f"{after['success']}/{after['tasks']} held-out tasks solved ({change['gained']} gained, "
            f"{change['lost']} lost; McNemar exact p = {change['mcnemar_p']:.3f}, {verdict})."
        )
    for i, it in enumerate(report["iterations"], 1):
        judged, drawn = it["trained_on_judged"], it["trained_on"]
        flow = it["tasks"]
        sentences.append(
            f"Iteration {i}'s filtered BC trained on {drawn} trajectories drawn from the replay buffer: {judged} "
            f"of the agent's own judged successes and {drawn - judged} demonstrations. The judge passed "
            f"{flow['judged_successes']} of its {flow['episodes']} episodes; of the {flow['rule_scored_episodes']} "
            f"with a rule score, the rule evaluators passed {flow['rule_successes']}."
        )
    return sentences


def task_flow(tasks_path: Path, judged_dir: Path) -> dict[str, Any]:
    """What happened to one iteration's proposed tasks, from the proposer's report to the verdicts."""
    meta = json.loads(tasks_path.with_suffix(".meta.json").read_text())
    counts: Counter = Counter()
    for site in meta["report"].values():
        counts.update(site)
    judged = EpisodeStore(judged_dir).read()
    solved = {str(e.task.get("task_id")) for e in judged if e.success}
    rule = [e for e in judged if e.turns and "rule_score" in e.turns[-1].info]
    return {
        "parsed": counts["parsed"],
        "kept": counts["kept"],
        "dropped": {reason: counts[reason] for reason in DROP_REASONS},
        "topped_up": counts["topped_up"],
        "tasks": len(json.loads(tasks_path.read_text())),
        "episodes": len(judged),
        "judged_solved_tasks": len(solved),
        "judged_successes": sum(e.success for e in judged),
        "rule_scored_episodes": len(rule),
        "rule_successes": sum(e.turns[-1].info["rule_score"] == 1.0 for e in rule),
    }


def last_record(stage_dir: Path) -> dict[str, Any]:
    rows = read_jsonl(stage_dir / "metrics.jsonl")
    return rows[-1] if rows else {}


def plot_heldout(points: list[dict[str, Any]], before: dict[str, Any] | None, out: Path) -> Path:
    fig, ax = pyplot().subplots(figsize=(5.5, 3.6))
    xs = list(range(len(points)))
    ys = [100 * p["rate"] for p in points]
    errors = [
        [100 * (p["rate"] - p["wilson_low"]) for p in points],
        [100 * (p["wilson_high"] - p["rate"]) for p in points],
    ]
    ax.errorbar(xs, ys, yerr=errors, marker="o", capsize=4, label="agent (95% Wilson interval)")
    if before is not None:
        ax.axhline(100 * before["rate"], linestyle="--", color="gray", label="before the warm start")
    ax.set_xticks(xs)
    ax.set_xlabel("PAE iteration (0 = warm start)")
    ax.set_ylabel("held-out success (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend()
    return save_figure(fig, out)


def markdown(report: dict[str, Any]) -> str:
    lines = ["# PAE run", "", "## What moved", ""]
    lines += [f"- {sentence}" for sentence in what_moved(report)]
    lines += ["", "## Held-out success (rule evaluators, held-out site seed)", ""]
    lines += ["| iteration | stage | success | 95% Wilson |", "|---|---|---|---|"]
    before = report.get("before_warm_start")
    rows = ([("before warm start", before)] if before else []) + list(enumerate(report["heldout"]))
    for label, p in rows:
        lines.append(
            f"| {label} | {p['label']} | {p['success']}/{p['tasks']} ({100 * p['rate']:.1f}%) "
            f"| {100 * p['wilson_low']:.1f}–{100 * p['wilson_high']:.1f}% |"
        )
    lines += ["", "## Judge against the rule scores (episodes with both)", ""]
    lines += ["| iteration | n | accuracy | FPR | FNR | kappa |", "|---|---|---|---|---|---|"]
    for label, a in [*enumerate(report["judge"]["per_iteration"], 1), ("all", report["judge"]["pooled"])]:
        if a:
            lines.append(
                f"| {label} | {a['n']} | {a['accuracy']:.2f} | {a['false_positive_rate']:.2f} "
                f"| {a['false_negative_rate']:.2f} | {a['cohens_kappa']:.2f} |"
            )
    lines += ["", "## Proposed tasks", ""]
    lines += [
        "| iteration | parsed | kept | dropped (why) | topped up | judged solved tasks | judged successes "
        "| rule successes / scored | judged successes kept (filtered BC) | trained on (drawn from replay) "
        "| of which judged successes | episodes/min |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, it in enumerate(report["iterations"], 1):
        f = it["tasks"]
        why = ", ".join(f"{k} {v}" for k, v in f["dropped"].items() if v) or "none"
        lines.append(
            f"| {i} | {f['parsed']} | {f['kept']} | {why} | {f['topped_up']} | {f['judged_solved_tasks']} "
            f"| {f['judged_successes']} | {f['rule_successes']}/{f['rule_scored_episodes']} "
            f"| {it['kept_for_replay']} | {it['trained_on']} | {it['trained_on_judged']} "
            f"| {it['episodes_per_minute']} |"
        )
    return "\n".join(lines) + "\n"


def pae_report(
    run_dir: Path,
    evals: list[Path],
    iterations: list[dict[str, Path]],
    out_dir: Path,
    before: Path | None = None,
) -> dict[str, Any]:
    """Write report.json, report.md and heldout.png into OUT_DIR. EVALS: the summary of each held-out
    evaluation (iteration 0 first); ITERATIONS: per PAE iteration the paths `tasks` (propose), `judged` (the
    judge's store) and the stage folders `rollout` and `filtered_bc`; BEFORE: the summary before warm start."""
    points = [heldout_point(path, path.parent.parent.name) for path in evals]
    before_point = heldout_point(before, before.parent.parent.name) if before else None
    per_iteration, pooled, flows = [], [], []
    for it in iterations:
        pairs = judged_pairs(it["judged"])
        pooled += pairs
        per_iteration.append(agreement_report(*zip(*pairs, strict=True)) if pairs else {})
        rollout, fbc = last_record(it["rollout"]), last_record(it["filtered_bc"])
        minutes = rollout.get("seconds", 0) / 60
        flows.append(
            {
                "tasks": task_flow(it["tasks"], it["judged"]),
                "trained_on": fbc.get("drawn", 0),
                "trained_on_judged": fbc.get("drawn_judged", 0),
                "kept_for_replay": fbc.get("kept", 0),
                "episodes_per_minute": round(rollout.get("new_episodes", 0) / minutes, 2)
                if minutes
                else None,
            }
        )
    solved = [solved_tasks(path) for path in ([before] if before else []) + evals]  # each read once
    report = {
        "run": str(run_dir),
        "before_warm_start": before_point,
        "heldout": points,
        "changes": [paired_change(a, b) for a, b in pairwise(solved)],
        "judge": {
            "per_iteration": per_iteration,
            "pooled": agreement_report(*zip(*pooled, strict=True)) if pooled else {},
        },
        "iterations": flows,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps(report, indent=2))
    (out_dir / "report.md").write_text(markdown(report))
    plot_heldout(points, before_point, out_dir / "heldout.png")
    return report
