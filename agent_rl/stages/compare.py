"""`compare` stage: SFT against RL from the same initial checkpoint, success against training compute.

Every input is a branch: its name is the label and it points at a training stage's `checkpoints` artifact
(e.g. `inputs: {SFT: sft_more.checkpoints, RL: rl.checkpoints}`). All branches must start from the same
checkpoint. The initial checkpoint and every branch checkpoint are evaluated on ID, rule-OOD and (vision)
visual-OOD hands; results are cached per checkpoint, so a resumed stage does not evaluate twice.
Compute: SFT 6·N·D, RL 6·N·D + 2·N·λ·D (see the training stages' checkpoint logs).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from agent_rl.errors import UserError
from agent_rl.report.figures import (
    by_attempt_table,
    final_table,
    html_page,
    markdown_table,
    plot_success_vs_compute,
    verdicts,
)
from agent_rl.rollout.gp_eval import GPEvalConfig, evaluate_model
from agent_rl.stages import StageContext


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    eval: GPEvalConfig = GPEvalConfig()
    every_checkpoint: bool = True  # False: evaluate only the init and each branch's final checkpoint
    eval_note: str = ""  # why this evaluation sampling, in the recipe author's words (shown in the report)


def _branch(ctx: StageContext, name: str) -> dict[str, Any]:
    data = json.loads(ctx.path(name).read_text())
    if not data.get("checkpoints"):
        raise UserError(f"compare: branch {name!r} ({ctx.artifacts[name]}) lists no checkpoints")
    return data


def _location(ctx: StageContext, path: str) -> str:
    local = ctx.run_dir / path
    return str(local) if local.exists() else path


def _evaluate_cached(ctx: StageContext, config: Config, path: str) -> dict[str, Any]:
    cache = ctx.stage_dir / "evals" / (path.replace("/", "__") + ".json")
    if cache.exists():
        return json.loads(cache.read_text())
    results = evaluate_model(_location(ctx, path), config.eval, ctx.stage_dir / "episodes" / cache.stem)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(results, indent=2))
    return results


def run(config: Config, ctx: StageContext) -> dict[str, str]:
    branches = {name: _branch(ctx, name) for name in ctx.inputs}
    if len(branches) < 1:
        raise UserError(
            "compare needs at least one branch input, e.g. inputs: {SFT: sft.checkpoints, RL: rl.checkpoints}"
        )
    inits = {name: data["init"] for name, data in branches.items()}
    if len({str(Path(_location(ctx, p)).resolve()) for p in inits.values()}) > 1:
        raise UserError(f"compare: branches start from different checkpoints: {inits}")
    init = next(iter(inits.values()))
    init_results = _evaluate_cached(ctx, config, init)
    curves: dict[str, list[dict[str, Any]]] = {}
    for name, data in branches.items():
        points = [{"step": 0, "flops": 0.0, "tokens": 0.0, "results": init_results}]
        checkpoints = data["checkpoints"] if config.every_checkpoint else data["checkpoints"][-1:]
        for ckpt in checkpoints:
            results = _evaluate_cached(ctx, config, ckpt["path"])
            points.append(
                {
                    "step": ckpt["step"],
                    "flops": ckpt["flops"],
                    "tokens": ckpt["tokens"],
                    "results": results,
                }
            )
            ctx.logger.log(
                {
                    "branch": name,
                    "step": ckpt["step"],
                    "flops": ckpt["flops"],
                    **{f"{s}_success": m["success_rate"] for s, m in results.items()},
                }
            )
        curves[name] = points
    settings = config.eval.settings
    vision = config.eval.modality == "vision"
    training = {  # every checkpoint a branch logged, evaluated or not
        name: [c for c in data["checkpoints"] if "train_success" in c] for name, data in branches.items()
    }
    plot = plot_success_vs_compute(curves, settings, ctx.stage_dir / "success_vs_compute.png", training)
    rows = final_table(curves, settings, vision)
    findings = verdicts(curves, settings)
    attempts = by_attempt_table(curves, settings)
    notes = [
        f"init checkpoint: {init}",
        f"every checkpoint is evaluated on the same {config.eval.episodes} held-out hands per setting (the fixed "
        f"evaluation set, seed {config.eval.seed}), up to {config.eval.max_attempts} attempts, "
        f"temperature {config.eval.temperature}" + (f" ({config.eval_note})" if config.eval_note else ""),
        "intervals are 95% Wilson intervals; a change counts only where the intervals do not overlap",
        "compute: SFT 6·N·D; RL 6·N·D + 2·N·λ·D (N parameters, D training tokens)",
    ]
    title = f"SFT vs RL on GeneralPoints ({config.eval.modality})"
    md = ctx.stage_dir / "report.md"
    md.write_text(
        f"# {title}\n\n![success vs compute]({plot.name})\n\n## What moved\n\n"
        + "\n".join(f"- {line}" for line in findings)
        + f"\n\n## Final numbers\n\n{markdown_table(rows)}\n\n"
        + f"## Success by attempt (%)\n\n{markdown_table(attempts)}\n\n"
        + "\n".join(f"- {n}" for n in notes)
        + "\n"
    )
    page = ctx.stage_dir / "report.html"
    page.write_text(html_page(title, rows, plot.name, notes, findings, {"Success by attempt (%)": attempts}))
    results = ctx.stage_dir / "results.json"
    results.write_text(json.dumps({"init": init, "curves": curves}, indent=2))
    return {"report": ctx.rel(md), "html": ctx.rel(page), "plot": ctx.rel(plot), "results": ctx.rel(results)}
