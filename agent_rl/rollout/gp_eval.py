"""GeneralPoints evaluation: success on a fixed, seeded evaluation set, with intervals, as JSON + Markdown.

Used by `agent-rl eval generalpoints` and the `eval` and `compare` stages. The hands come from the
proposer's evaluation sets (234 per variant by default, as in the study), so numbers are comparable across
runs and machines. Episodes go to an episode store in the output folder: an interrupted evaluation resumes
where it stopped, and a rerun with other settings into the same folder is refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agent_rl.backends.base import Backend, SamplingParams
from agent_rl.core.bounds import Count, Seed, Temperature, TopP
from agent_rl.core.run_settings import SETTINGS_FILE, claim_settings
from agent_rl.core.stats import wilson_interval
from agent_rl.core.types import Episode
from agent_rl.errors import UserError
from agent_rl.rollout.runner import EpisodeSpec, run_rollouts
from agent_rl.rollout.store import EpisodeStore
from envs.generalpoints import EVAL_EPISODES, SEEDS, EnvOptions, evaluation_hands
from envs.generalpoints.variants import VariantName

MAX_EVAL_EPISODES = 10_000  # hands of one evaluation set at most (the study's sets hold 234)


class EvalOptions(BaseModel):
    """How an evaluation plays and samples (the variant aside): shared by the CLI and the `eval` stage."""

    model_config = ConfigDict(extra="forbid")

    modality: Literal["text", "vision"] = "text"
    episodes: int = Field(EVAL_EPISODES, ge=1, le=MAX_EVAL_EPISODES)  # hands from the variant's fixed set
    seed: Seed = SEEDS["eval"]  # which evaluation set, and the sampling seed
    max_attempts: Count = 5
    temperature: Temperature = 0.0  # greedy by default: evaluation is then deterministic
    top_p: TopP = 1.0
    max_new_tokens: Count = 256
    batch_size: Count = 32


class EvalSettings(EvalOptions):
    """One evaluation: the options on one variant's evaluation set."""

    variant: VariantName = "id"

    @model_validator(mode="after")
    def _check_variant(self) -> EvalSettings:
        if self.variant == "visual_ood" and self.modality == "text":
            raise ValueError("visual_ood differs from id only in the card images: use --modality vision")
        return self


def _as_backend(backend_or_model: Any, batch_size: int) -> Backend:
    if hasattr(backend_or_model, "generate") and hasattr(backend_or_model, "name"):
        return backend_or_model
    from agent_rl.backends.transformers_backend import TransformersBackend

    return TransformersBackend(backend_or_model, max_batch_size=batch_size)


def _model_name(backend_or_model: Any) -> str:
    """What the evaluated model is called in the results: its path or id, or the backend's revision."""
    if isinstance(backend_or_model, (str, Path)):
        return str(backend_or_model)  # what a backend loaded from it reports as its revision
    return str(getattr(backend_or_model, "revision", "") or backend_or_model.name)


def episode_specs(settings: EvalSettings) -> list[EpisodeSpec]:
    """One spec per hand of the variant's fixed evaluation set."""
    game = EnvOptions(
        variant=settings.variant, modality=settings.modality, max_attempts=settings.max_attempts
    )
    return [
        EpisodeSpec(
            episode_id=f"{settings.variant}-{settings.seed}-{hand.index:05d}",
            make_env=game.make,
            seed=hand.index,
            options=hand.options(),
            task={"variant": settings.variant, **hand.to_dict()},
        )
        for hand in evaluation_hands(settings.variant, settings.episodes, settings.seed)
    ]


def summarise(episodes: list[Episode], settings: EvalSettings, model: str) -> dict[str, Any]:
    """The numbers a report needs, from stored episodes."""
    n = len(episodes)
    solved = [e for e in episodes if e.success]
    low, high = wilson_interval(len(solved), n)
    solved_at = [e.turns[-1].info.get("attempt", len(e.turns)) for e in solved]
    by_attempt = {
        str(k): sum(a == k for a in solved_at) / max(n, 1) for k in range(1, settings.max_attempts + 1)
    }
    within, running = {}, 0.0
    for k, fraction in by_attempt.items():
        running += fraction
        within[k] = running
    result: dict[str, Any] = {
        "env": "generalpoints",
        "model": model,
        "episodes": n,
        "success_rate": len(solved) / max(n, 1),
        "success_rate_ci95": [low, high],
        "mean_reward": sum(e.total_reward for e in episodes) / max(n, 1),
        "solved_at_attempt": by_attempt,
        "success_within_attempts": within,
        "mean_attempts": sum(len([t for t in e.turns if t.info.get("graded")]) for e in episodes) / max(n, 1),
        "errors": sum(e.error is not None for e in episodes),
        "settings": settings.model_dump(),
    }
    if settings.modality == "vision":
        graded = [t for e in episodes for t in e.turns if t.info.get("graded")]
        first = [e.turns[0] for e in episodes if e.turns and e.turns[0].info.get("graded")]
        result["recognition_accuracy"] = sum(t.info.get("recognition_correct") is True for t in graded) / max(
            len(graded), 1
        )
        result["first_attempt_recognition_accuracy"] = sum(
            t.info.get("recognition_correct") is True for t in first
        ) / max(len(first), 1)
    return result


def markdown_summary(result: dict[str, Any]) -> str:
    s = result["settings"]
    low, high = result["success_rate_ci95"]
    lines = [
        f"# GeneralPoints eval: {s['variant']} / {s['modality']}",
        "",
        f"Model `{result['model']}`, {result['episodes']} episodes (seed {s['seed']}), "
        f"up to {s['max_attempts']} attempts, temperature {s['temperature']}.",
        "",
        "| metric | value |",
        "|---|---|",
        f"| success rate | {result['success_rate']:.1%} (95% CI {low:.1%} to {high:.1%}) |",
        f"| mean episode reward | {result['mean_reward']:.2f} |",
        f"| mean attempts | {result['mean_attempts']:.2f} |",
    ]
    if "recognition_accuracy" in result:
        lines.append(f"| card recognition accuracy | {result['recognition_accuracy']:.1%} |")
    lines += [
        f"| solved within {k} attempt(s) | {v:.1%} |" for k, v in result["success_within_attempts"].items()
    ]
    if result["errors"]:
        lines.append(f"| episodes ended by an error | {result['errors']} |")
    return "\n".join(lines) + "\n"


def write_result(result: dict[str, Any], json_path: Path) -> None:
    """`json_path` and the Markdown summary beside it (same name, `.md`)."""
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(result, indent=2) + "\n")
    json_path.with_suffix(".md").write_text(markdown_summary(result))


def evaluate_generalpoints(
    backend_or_model: Any, *, out_dir: str | Path, settings: EvalSettings, progress: bool = True
) -> dict[str, Any]:
    """Evaluate a backend, loaded model or model path; episodes and `summary.json`/`.md` go to `out_dir`.

    Returns the summary dict. A rerun with the same settings resumes; finished episodes are not redone.
    """
    out_dir = Path(out_dir)
    modality, max_attempts = settings.modality, settings.max_attempts
    store = EpisodeStore(out_dir)
    model = _model_name(backend_or_model)
    claim_settings(  # before the model loads; a folder with no stored episode is nothing to protect
        out_dir / SETTINGS_FILE,
        {"model": model, **settings.model_dump()},
        started=len(store) > 0,
        hint="rerun with the same options, or pick another --out",
    )
    backend = _as_backend(backend_or_model, settings.batch_size)
    if modality == "vision" and hasattr(backend, "processor") and backend.processor is None:
        raise UserError(f"model {model!r} takes no images: pass a vision model for --modality vision")
    specs = episode_specs(settings)
    params = SamplingParams(
        max_new_tokens=settings.max_new_tokens,
        temperature=settings.temperature,
        top_p=settings.top_p,
        seed=settings.seed,
    )
    run_rollouts(
        backend,
        specs,
        params,
        store,
        max_concurrent=settings.batch_size * 4,
        max_turns=max_attempts + 1,
        progress=progress,
        description=f"eval {settings.variant}/{modality}",
    )
    wanted = {spec.episode_id for spec in specs}
    result = summarise([e for e in store.read() if e.episode_id in wanted], settings, model)
    result["episodes_dir"] = str(out_dir)
    write_result(result, out_dir / "summary.json")
    return result


class GPEvalConfig(EvalOptions):
    """The evaluation options on each of `settings` (variants) at once (the `eval` and `compare` stages'
    settings); shorter replies and bigger batches than a single CLI evaluation."""

    settings: list[VariantName] = Field(["id", "rule_ood"], min_length=1)
    max_new_tokens: Count = 96
    batch_size: Count = 64

    def for_variant(self, variant: str) -> EvalSettings:
        return EvalSettings(variant=variant, **self.model_dump(exclude={"settings"}))


def evaluate_model(model: Any, config: GPEvalConfig, out_dir: Path) -> dict[str, dict[str, Any]]:
    """Per setting, the summary of `evaluate_generalpoints` (success rate, mean reward,
    recognition accuracy for vision, ...) on the setting's fixed evaluation hands; episodes under `out_dir`.

    `model` is a folder, hub id or a ready backend. Loaded once for all settings.
    """
    from agent_rl.backends.transformers_backend import TransformersBackend

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
