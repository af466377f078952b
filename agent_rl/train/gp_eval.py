"""The `eval` stage and the evaluation used by tests and `compare`: success on fixed GeneralPoints hand sets.

Settings: `id` (face cards 10), `rule_ood` (face cards 11/12/13, hands hold one), and for vision `visual_ood`
(red suits). Each setting deals the same seeded hands every time, so checkpoints are compared on equal terms.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent_rl.evaluate import EvalOptions, EvalSettings
from envs.generalpoints.variants import VariantName


class Config(EvalOptions):
    """The evaluation options, on each of `settings` (variants); shorter replies and bigger batches."""

    settings: list[VariantName] = ["id", "rule_ood"]
    max_new_tokens: int = 96
    batch_size: int = 64

    def for_variant(self, variant: str) -> EvalSettings:
        return EvalSettings(variant=variant, **self.model_dump(exclude={"settings"}))


def evaluate_model(model: Any, config: Config, out_dir: Path) -> dict[str, dict[str, Any]]:
    """Per setting, the summary of `agent_rl.evaluate.evaluate_generalpoints` (success rate, mean reward,
    recognition accuracy for vision, ...) on the setting's fixed evaluation hands; episodes under `out_dir`.

    `model` is a folder, hub id or a ready backend. Loaded once for all settings.
    """
    from agent_rl.backends.transformers_backend import TransformersBackend
    from agent_rl.evaluate import evaluate_generalpoints

    backend = (
        model
        if hasattr(model, "generate")
        else TransformersBackend(str(model), max_batch_size=config.batch_size)
    )
    return {
        setting: evaluate_generalpoints(
            backend, out_dir=Path(out_dir) / setting, settings=config.for_variant(setting), progress=False
        )
        for setting in config.settings
    }


def run(config: Config, ctx) -> dict[str, str]:
    """Input: `model` (or `checkpoint`). Output: `results` (JSON of metrics per setting)."""
    source = ctx.resolve("checkpoint") if "checkpoint" in ctx.artifacts else ctx.resolve("model")
    results = evaluate_model(source, config, ctx.stage_dir / "episodes")
    for setting, metrics in results.items():
        ctx.logger.log(
            {"setting": setting, **{k: v for k, v in metrics.items() if isinstance(v, (int, float))}}
        )
    out = ctx.stage_dir / "results.json"
    out.write_text(json.dumps({"model": source, "results": results}, indent=2))
    return {"results": ctx.rel(out)}
