"""`eval` stage: success on fixed GeneralPoints hand sets (settings: `rollout.gp_eval.GPEvalConfig`).

Settings: `id` (face cards 10), `rule_ood` (face cards 11/12/13, hands hold one), and for vision `visual_ood`
(red suits). Each setting deals the same seeded hands every time, so checkpoints are compared on equal terms.
Input: `model` (or `checkpoint`). Output: `results` (JSON of metrics per setting).
"""

from __future__ import annotations

import json

from agent_rl.rollout.gp_eval import GPEvalConfig, evaluate_model
from agent_rl.stages import StageContext

Config = GPEvalConfig


def run(config: Config, ctx: StageContext) -> dict[str, str]:
    source = ctx.resolve("checkpoint") if "checkpoint" in ctx.artifacts else ctx.resolve("model")
    results = evaluate_model(source, config, ctx.stage_dir / "episodes")
    for setting, metrics in results.items():
        ctx.logger.log(
            {"setting": setting, **{k: v for k, v in metrics.items() if isinstance(v, (int, float))}}
        )
    out = ctx.stage_dir / "results.json"
    out.write_text(json.dumps({"model": source, "results": results}, indent=2))
    return {"results": ctx.rel(out)}
