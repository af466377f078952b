"""The `eval` stage and the evaluation used by tests and `compare`: success on fixed GeneralPoints hand sets.

Settings: `id` (face cards 10), `rule_ood` (face cards 11/12/13, hands hold one), and for vision `visual_ood`
(red suits). Each setting deals the same seeded hands every time, so checkpoints are compared on equal terms.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Setting = Literal["id", "rule_ood", "visual_ood"]
EVAL_SEED = 0  # the evaluation sets of proposer.cards (their own stream, apart from training hands)


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    modality: Literal["text", "vision"] = "text"
    settings: list[Setting] = ["id", "rule_ood"]
    episodes: int = 234  # per setting, as in the study
    max_attempts: int = 5
    temperature: float = 0.0  # greedy by default: evaluation is then deterministic
    max_new_tokens: int = 96
    batch_size: int = 64
    seed: int = EVAL_SEED


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
            backend,
            out_dir=Path(out_dir) / setting,
            variant=setting,
            modality=config.modality,
            episodes=config.episodes,
            seed=config.seed,
            max_attempts=config.max_attempts,
            temperature=config.temperature,
            max_new_tokens=config.max_new_tokens,
            batch_size=config.batch_size,
            progress=False,
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
