"""Recipe stage `control_compare`: control_train stages side by side, as success and Q against steps plus a
table (the CPU comparison of FQL, IQL and ReBRAC, or FQL's offline-to-online against WSRL).

    - name: compare
      type: control_compare
      control_compare: {runs: {FQL: fql, IQL: iql, ReBRAC: rebrac}}

`runs` maps a label to an earlier control_train stage of this run. The stage reads each one's `results.json`
(success per evaluation, per task) and `metrics.jsonl` (q_mean per log step), and writes `success.png`,
`q.png`, `table.md` and `comparison.json`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agent_rl.control.evaluate import save_figure
from agent_rl.core.jsonl import read_jsonl
from agent_rl.core.stats import wilson_interval
from agent_rl.errors import UserError
from agent_rl.stages import StageContext


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")
    runs: dict[str, str] = Field(min_length=1)  # label -> control_train stage name
    title: str = "control agents"
    online_from: int | None = Field(None, ge=0)  # mark the start of online fine-tuning on the plots


def _mean_curve(records: list[dict], key: str) -> tuple[list[int], list[float]]:
    """Per step, the mean of `key` over the tasks that logged it."""
    by_step: dict[int, list[float]] = {}
    for r in records:
        if r.get(key) is not None:
            by_step.setdefault(int(r["step"]), []).append(float(r[key]))
    steps = sorted(by_step)
    return steps, [float(np.mean(by_step[s])) for s in steps]


def summarise(stage_dir: Path) -> dict:
    """Curves and final numbers of one control_train stage folder."""
    if not (stage_dir / "results.json").exists():
        raise UserError(f"{stage_dir} has no results.json: is it a finished control_train stage?")
    results = json.loads((stage_dir / "results.json").read_text())
    # the history includes a pretrained stage's evaluations, so online curves start where offline ended
    evals = [{"step": s, "success": v} for points in results["history"].values() for s, v in points]
    success = _mean_curve(evals, "success")
    q = _mean_curve(read_jsonl(stage_dir / "metrics.jsonl"), "q_mean")
    episodes = results.get("eval_episodes")  # absent in stages written before it was recorded
    n = episodes * len(results["success_per_task"]) if episodes else 0
    return {
        "agent": results["agent"],
        "steps": results["steps"],
        "success": results["success"],
        "success_interval": wilson_interval(round(results["success"] * n), n) if n else None,
        "eval_episodes": n,
        "success_per_task": results["success_per_task"],
        "best_success": max(success[1], default=0.0),
        "final_q": q[1][-1] if q[1] else None,
        "success_curve": success,
        "q_curve": q,
    }


def _plot(curves: dict[str, tuple[list, list]], path: Path, ylabel: str, title: str, online_from) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for label, (steps, values) in curves.items():
        ax.plot(steps, values, marker="o" if len(steps) < 40 else None, label=label)
    if online_from is not None:
        ax.axvline(online_from, color="gray", linestyle="--", linewidth=1, label="online starts")
    save_figure(fig, ax, path, "steps (offline updates, then online env steps)", ylabel, title)


def _interval(summary: dict) -> str:
    """The final success's 95% Wilson interval over all its evaluation episodes, e.g. '0.12–0.35 (n=50)'."""
    if not summary.get("success_interval"):
        return "–"
    low, high = summary["success_interval"]
    return f"{low:.2f}–{high:.2f} (n={summary['eval_episodes']})"


def table(summaries: dict[str, dict]) -> str:
    tasks = sorted({t for s in summaries.values() for t in s["success_per_task"]})
    head = ["run", "agent", "steps", *tasks, "success", "95% interval", "best success", "final Q"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, s in summaries.items():
        cells = [label, s["agent"], str(s["steps"])]
        cells += [f"{s['success_per_task'].get(t, float('nan')):.2f}" for t in tasks]
        q = "–" if s["final_q"] is None else f"{s['final_q']:.2f}"
        cells += [f"{s['success']:.2f}", _interval(s), f"{s['best_success']:.2f}", q]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def run(config: Config, ctx: StageContext) -> dict[str, str]:
    summaries = {label: summarise(ctx.run_dir / stage) for label, stage in config.runs.items()}
    out = ctx.stage_dir
    _plot(
        {k: s["success_curve"] for k, s in summaries.items()},
        out / "success.png",
        "success rate",
        config.title,
        config.online_from,
    )
    _plot(
        {k: s["q_curve"] for k, s in summaries.items()},
        out / "q.png",
        "mean Q(s, a) on batches",
        config.title,
        config.online_from,
    )
    (out / "table.md").write_text(table(summaries))
    (out / "comparison.json").write_text(json.dumps(summaries, indent=2))
    rel = out.relative_to(ctx.run_dir)
    files = {
        "success_plot": "success.png",
        "q_plot": "q.png",
        "table": "table.md",
        "comparison": "comparison.json",
    }
    return {name: str(rel / file) for name, file in files.items()}
