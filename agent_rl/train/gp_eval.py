"""The `eval` stage and the evaluation used by tests and `compare`: success on fixed GeneralPoints hand sets.

Settings: `id` (face cards 10), `rule_ood` (face cards 11/12/13, hands hold one), and for vision `visual_ood`
(red suits). Each setting deals the same seeded hands every time, so checkpoints are compared on equal terms.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from agent_rl.backends.base import SamplingParams
from agent_rl.train.episodes import deal_hands, play
from agent_rl.train.gp_data import EnvOptions

Setting = Literal["id", "rule_ood", "visual_ood"]
EVAL_SEED = 0  # evaluation hands come from seeds 0.., training hands from DataConfig.seed (1e6) on


def setting_env(setting: str, modality: str, max_attempts: int = 5) -> EnvOptions:
    return EnvOptions(
        modality=modality,  # type: ignore[arg-type]
        rule="ood" if setting == "rule_ood" else "id",
        suits="red" if setting == "visual_ood" else "black",
        max_attempts=max_attempts,
    )


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


def evaluate_model(model: Any, config: Config, store_dir: Path | None = None) -> dict[str, dict[str, float]]:
    """Per setting: success rate, mean episode reward, mean attempts and (vision) recognition accuracy.

    `model` is a folder, hub id or a ready backend (anything with `generate`).
    """
    from agent_rl.backends.transformers_backend import TransformersBackend

    backend = (
        model
        if hasattr(model, "generate")
        else TransformersBackend(str(model), max_batch_size=config.batch_size)
    )
    params = SamplingParams(
        max_new_tokens=config.max_new_tokens, temperature=config.temperature, seed=config.seed
    )
    results: dict[str, dict[str, float]] = {}
    for setting in config.settings:
        env = setting_env(setting, config.modality, config.max_attempts)
        hands = deal_hands(env, config.episodes, config.seed)
        store = store_dir / f"{setting}.jsonl" if store_dir is not None else None
        episodes = play(backend, env, hands, params, store=store, task_info={"setting": setting})
        results[setting] = summarise(episodes)
    return results


def summarise(episodes) -> dict[str, float]:
    n = max(1, len(episodes))
    recognised = [t.info.get("recognition_correct") for e in episodes for t in e.turns]
    recognised = [r for r in recognised if r is not None]
    first = [e.turns[0].info.get("success", False) for e in episodes if e.turns]
    return {
        "success_rate": sum(e.success for e in episodes) / n,
        "first_attempt_success": sum(first) / n,
        "mean_reward": sum(e.total_reward for e in episodes) / n,
        "mean_attempts": sum(len(e.turns) for e in episodes) / n,
        "recognition_accuracy": sum(recognised) / len(recognised) if recognised else float("nan"),
        "episodes": len(episodes),
    }


def run(config: Config, ctx) -> dict[str, str]:
    """Input: `model` (or `checkpoint`). Output: `results` (JSON of metrics per setting)."""
    source = ctx.resolve("checkpoint") if "checkpoint" in ctx.artifacts else ctx.resolve("model")
    results = evaluate_model(source, config, ctx.stage_dir / "episodes")
    for setting, metrics in results.items():
        ctx.logger.log({"setting": setting, **metrics})
    out = ctx.stage_dir / "results.json"
    out.write_text(json.dumps({"model": source, "results": results}, indent=2))
    return {"results": ctx.rel(out)}
