"""`webarena_eval` stage: score a model on WebArena-format tasks with the rule-based evaluators.

Runs `agent_rl.commands.webarena.evaluate_webarena` (what `agent-rl eval webarena` runs, from typed settings) for the stage's input `model`
(and input `judge`, a model for the fuzzy_match and N/A evaluators, when given): on the bundled sites
(started for the stage, built from `site_seed`: train on seed 0, evaluate on a held-out seed), or on your own task file and sites (`tasks` + `sites_from_env`). Outputs `report`
(the HTML report) and `summary` (success by site and by eval type).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent_rl.commands.webarena import WebArenaEval, evaluate_webarena
from agent_rl.stages import StageContext
from envs.web.config import PromptSettings


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tasks: str | None = None  # a task config file; None runs the bundled tasks on the bundled sites
    sites_from_env: bool = False
    site_seed: int = Field(0, ge=0)  # bundled sites and tasks built from this seed; 1 and up are held out
    task_ids: list[int] | None = None
    max_steps: int = Field(30, ge=1)
    parallel: int = Field(4, ge=1)
    vision: bool = False
    backend: Literal["transformers", "vllm", "openai"] = "transformers"
    base_url: str | None = None  # with backend openai
    max_new_tokens: int = Field(256, ge=1)
    prompt: PromptSettings = PromptSettings()  # the page view and action grammar the agent was trained on


def run(config: Config, ctx: StageContext) -> dict[str, str]:
    out = ctx.stage_dir / "webarena"
    summary = evaluate_webarena(
        WebArenaEval(
            model=ctx.resolve("model"),
            judge=ctx.resolve("judge") if "judge" in ctx.artifacts else None,
            out=out,
            tasks=Path(config.tasks) if config.tasks else None,
            bundled=config.tasks is None,
            site_seed=config.site_seed,
            sites_from_env=config.sites_from_env,
            backend=config.backend,
            base_url=config.base_url,
            parallel=config.parallel,
            max_steps=config.max_steps,
            task_ids=",".join(map(str, config.task_ids)) if config.task_ids else None,
            vision=config.vision,
            max_new_tokens=config.max_new_tokens,
            **config.prompt.model_dump(),
        )
    )
    ctx.logger.log({"stage": ctx.name, **{f"webarena.{k}": v for k, v in summary["overall"].items()}})
    return {"report": ctx.rel(out / "report.html"), "summary": ctx.rel(out / "summary.json")}
