"""`pae_report` stage: the PAE run's evidence (see `agent_rl.report.pae`) from earlier stages' artifacts.

Settings name the stages: `evals`, the held-out `webarena_eval` stages in iteration order (the first
evaluates the warm start, iteration 0); `before`, optionally, the one that evaluates the model before the
warm start; `iterations`, per PAE iteration its `propose`, `rollout`, `judge` and `filtered_bc` stages.
Outputs `report` (report.md), `json` (report.json) and `figure` (heldout.png).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from agent_rl.report.pae import pae_report
from agent_rl.stages import StageContext


class Iteration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    propose: str
    rollout: str
    judge: str
    filtered_bc: str


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    evals: list[str] = Field(min_length=1)
    before: str | None = None
    iterations: list[Iteration] = []


def run(config: Config, ctx: StageContext) -> dict[str, str]:
    report = pae_report(
        ctx.run_dir,
        evals=[ctx.path(f"{name}.summary") for name in config.evals],
        iterations=[
            {
                "tasks": ctx.path(f"{it.propose}.tasks"),
                "judged": ctx.path(f"{it.judge}.episodes"),
                "rollout": ctx.path(f"{it.rollout}.episodes").parent,
                "filtered_bc": ctx.path(f"{it.filtered_bc}.replay").parent,
            }
            for it in config.iterations
        ],
        out_dir=ctx.stage_dir,
        before=ctx.path(f"{config.before}.summary") if config.before else None,
    )
    ctx.logger.log(
        {
            "stage": ctx.name,
            **{f"heldout.{i}": p["rate"] for i, p in enumerate(report["heldout"])},
            **{f"judge.{k}": v for k, v in report["judge"]["pooled"].items()},
        }
    )
    return {
        "report": ctx.rel(ctx.stage_dir / "report.md"),
        "json": ctx.rel(ctx.stage_dir / "report.json"),
        "figure": ctx.rel(ctx.stage_dir / "heldout.png"),
    }
