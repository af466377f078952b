"""`webarena_eval` stage: score a model on WebArena-format tasks with the rule-based evaluators.

Runs `agent-rl webarena eval` for the stage's input `model` (and input `judge`, a model for the
fuzzy_match and N/A evaluators, when given): on the bundled sites (started for the stage),
or on your own task file and sites (`tasks` + `sites_from_env`). Outputs `report` (the HTML report) and
`summary` (success by site and by eval type).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from evaluator.webarena import cli


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tasks: str | None = None  # a task config file; None runs the bundled tasks on the bundled sites
    sites_from_env: bool = False
    task_ids: list[int] | None = None
    max_steps: int = Field(30, ge=1)
    parallel: int = Field(4, ge=1)
    vision: bool = False
    backend: str = "transformers"
    max_new_tokens: int = Field(256, ge=1)


def run(config: Config, ctx) -> dict[str, str]:
    out = ctx.stage_dir / "webarena"
    argv = ["eval", "--agent", ctx.resolve("model"), "--out", str(out), "--backend", config.backend]
    argv += ["--tasks", config.tasks] if config.tasks else ["--bundled"]
    argv += ["--sites-from-env"] if config.sites_from_env else []
    argv += ["--task-ids", ",".join(map(str, config.task_ids))] if config.task_ids else []
    argv += ["--max-steps", str(config.max_steps), "--parallel", str(config.parallel)]
    argv += ["--max-new-tokens", str(config.max_new_tokens)] + (["--vision"] if config.vision else [])
    argv += ["--judge", ctx.resolve("judge")] if "judge" in ctx.artifacts else []
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    cli.main(parser.parse_args(argv))
    summary: dict[str, Any] = json.loads((out / "summary.json").read_text())
    overall = summary["overall"]
    ctx.logger.log({"stage": ctx.stage_dir.name, **{f"webarena.{k}": v for k, v in overall.items()}})
    return {"report": ctx.rel(out / "report.html"), "summary": ctx.rel(out / "summary.json")}
