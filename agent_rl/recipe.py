"""Recipes: a YAML file -> a validated config -> stages run one after another into a run folder.

A recipe names a seed, a model (`tiny`, `tiny-vlm`, a built-in such as `smollm2-135m`, a local folder or a
hub id) and a list of stages (an input may also name a built-in model, e.g. `judge: smollm2-135m`):

    stages:
      - name: sft_init            # unique
        type: sft                 # a module of agent_rl/stages/
        inputs: {model: model}    # local name -> artifact ("model" or "<stage>.<artifact>")
        sft: {epochs: 2}          # the stage's own config, validated by its module's `Config`

Each stage type is a module of `agent_rl.stages`, exposing `Config` (pydantic, extra="forbid") and
`run(config, ctx: StageContext) -> dict[str, str]` (artifacts it wrote, paths relative to the run folder). `state.json` records finished stages and their
artifacts, so `--resume` skips them; a stage that was cut short resumes from its own checkpoints.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from agent_rl.core.bounds import Count, Seed
from agent_rl.core.cli_args import out_folder
from agent_rl.core.run_settings import claim_settings
from agent_rl.errors import UserError, describe
from agent_rl.models.builtin import BUILTIN_MODELS, is_builtin
from agent_rl.runlog import MetricsLogger
from agent_rl.stages import StageContext, stage_module, stage_types

TINY_MODELS = ("tiny", "tiny-vlm")
log = logging.getLogger("agent_rl.recipe")


class StageSpec(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    type: str
    inputs: dict[str, str] = {}

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in stage_types():
            raise ValueError(f"unknown stage type {value!r}; choose one of: {', '.join(stage_types())}")
        return value

    @field_validator("inputs", mode="before")
    @classmethod
    def _list_inputs(cls, value: Any) -> Any:
        if isinstance(value, list):  # ["sft.checkpoint"] is short for {"checkpoint": "sft.checkpoint"}
            return {str(v).rsplit(".", 1)[-1]: v for v in value}
        return value

    @model_validator(mode="after")
    def _only_own_section(self) -> StageSpec:
        for key in self.model_extra or {}:
            if key != self.type:
                raise ValueError(
                    f"unknown key {key!r}: a {self.type!r} stage takes its settings under `{self.type}:`"
                )
        return self

    @property
    def settings(self) -> dict[str, Any]:
        return dict((self.model_extra or {}).get(self.type) or {})


class TinyOptions(BaseModel):
    """Sizes of the model `model: tiny` (or `tiny-vlm`) builds; the builder's defaults stand for those unset."""

    model_config = ConfigDict(extra="forbid")

    hidden_size: Count | None = None
    layers: Count | None = None
    heads: Count | None = None
    vocab_size: Count | None = None
    max_positions: Count | None = None
    image_size: Count | None = None  # tiny-vlm only, as are the next three
    patch_size: Count | None = None
    vision_hidden_size: Count | None = None
    vision_layers: Count | None = None

    @model_serializer(mode="wrap")
    def _only_set(self, handler: Any) -> dict[str, Any]:  # what the recipe said, so resolved configs stay
        return {k: v for k, v in handler(self).items() if k in self.model_fields_set}


class Recipe(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    seed: Seed = 0
    model: str | None = None
    tiny: TinyOptions = TinyOptions()
    stages: list[StageSpec] = Field(min_length=1)

    @field_validator("model")
    @classmethod
    def _model_exists(cls, value: str | None) -> str | None:
        if value is None or value in TINY_MODELS or is_builtin(value):
            return value
        looks_local = value.startswith(("/", ".", "~")) or value.count("/") != 1
        if looks_local and not Path(value).expanduser().exists():
            raise ValueError(
                f"model folder {value!r} does not exist (use `tiny`, `smollm2-135m`, a local folder or a hub id)"
            )
        return value

    @model_validator(mode="after")
    def _tiny_fits(self) -> Recipe:
        vision_only = {"image_size", "patch_size", "vision_hidden_size", "vision_layers"}
        if self.model == "tiny" and (given := sorted(vision_only & self.tiny.model_fields_set)):
            raise ValueError(f"tiny.{given[0]} is for `model: tiny-vlm`; the text model takes no images")
        return self

    @model_validator(mode="after")
    def _wiring(self) -> Recipe:
        seen: set[str] = set()
        for stage in self.stages:
            if stage.name in seen:
                raise ValueError(f"stage name {stage.name!r} is used twice")
            for alias, source in stage.inputs.items():
                owner = source.split(".", 1)[0]
                if source != "model" and owner not in seen and not is_builtin(source):
                    raise ValueError(
                        f"stage {stage.name!r} input {alias!r} = {source!r} does not name an earlier stage's artifact"
                    )
            seen.add(stage.name)
        return self


def stage_config(recipe: Recipe, index: int) -> BaseModel:
    """The stage's settings validated by its module's `Config`; errors name the field path."""
    spec = recipe.stages[index]
    module = stage_module(spec.type)
    try:
        return module.Config.model_validate(spec.settings)
    except ValidationError as err:
        raise UserError(describe(err, f"stages[{index}].{spec.type}")) from None


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """`a.b=value` (YAML-parsed value); `stages.NAME.x` and `stages.3.x` address a stage by name or index."""
    for item in overrides:
        if "=" not in item:
            raise UserError(f"--set {item!r}: expected KEY.PATH=VALUE")
        key, raw = item.split("=", 1)
        value = yaml.safe_load(raw)
        node: Any = data
        parts = key.split(".")
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(node, list):
                names = [s.get("name") if isinstance(s, dict) else None for s in node]
                index = names.index(part) if part in names else int(part) if part.isdigit() else None
                if index is None or index >= len(node):
                    raise UserError(f"--set {key}: no stage {part!r} (stages: {', '.join(map(str, names))})")
                if last:
                    node[index] = value
                node = node[index]
            elif isinstance(node, dict):
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, {})
            else:
                raise UserError(f"--set {key}: {'.'.join(parts[:i])} is not a mapping")
    return data


def load_recipe(path: str | Path, overrides: list[str] | None = None) -> Recipe:
    """Read, override and validate a recipe, stage settings included. Raises one clear UserError."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"recipe file {str(path)!r} not found")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise UserError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: a recipe is a mapping with `name`, `seed`, `model` and `stages`")
    data = apply_overrides(data, overrides or [])
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as err:
        raise UserError(f"{path}: {describe(err)}") from None
    for index in range(len(recipe.stages)):
        try:
            stage_config(recipe, index)
        except UserError as err:
            raise UserError(f"{path}: {err}") from None
    return recipe


def _digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


class RunState:
    """`state.json`: finished stages with their artifacts and a digest of the settings they ran with."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / "state.json"
        self.data: dict[str, Any] = json.loads(self.path.read_text()) if self.path.exists() else {}
        self.data.setdefault("finished", {})
        self.data.setdefault("artifacts", {})

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=2))
        tmp.replace(self.path)


def _setup_logging(run_dir: Path) -> logging.Handler:
    handler = logging.FileHandler(run_dir / "run.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("agent_rl")
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    if not any(isinstance(h, logging.StreamHandler) and h.stream is sys.stderr for h in root.handlers):
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(logging.Formatter("[%(name)s] %(message)s"))
        root.addHandler(console)
    return handler


def _prepare_model(recipe: Recipe, run_dir: Path, state: RunState) -> None:
    if "model" in state.data["artifacts"] or recipe.model is None:
        return
    if recipe.model in TINY_MODELS:
        from agent_rl.models import tiny as models

        builder = models.build_tiny_vlm if recipe.model == "tiny-vlm" else models.build_tiny_text_model
        log.info("building the %s model in %s", recipe.model, run_dir / "model")
        builder(run_dir / "model", seed=recipe.seed, **recipe.tiny.model_dump())
        state.data["artifacts"]["model"] = "model"
    else:
        local = Path(recipe.model).expanduser()
        state.data["artifacts"]["model"] = str(local.resolve()) if local.exists() else recipe.model
    state.save()


def run_recipe(recipe: Recipe, run_dir: Path, resume: bool = False) -> dict[str, str]:
    """Run every stage not yet finished; return all artifacts (paths relative to `run_dir`)."""
    run_dir = Path(run_dir)
    if (run_dir / "state.json").exists() and not resume:
        raise UserError(
            f"run folder {run_dir} already holds a run; pass --resume to continue it or pick another --out"
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    claim_settings(
        run_dir / "config.resolved.yaml",
        recipe.model_dump(),
        started=resume,
        hint="resume with the same recipe and --set values, or pick another --out",
    )
    handler = _setup_logging(run_dir)
    try:
        state = RunState(run_dir)
        _prepare_model(recipe, run_dir, state)
        for index, spec in enumerate(recipe.stages):
            config = stage_config(recipe, index)
            digest = _digest({"type": spec.type, "inputs": spec.inputs, "config": config.model_dump()})
            done = state.data["finished"].get(spec.name)
            if done is not None:
                if done["digest"] != digest:
                    raise UserError(
                        f"stage {spec.name!r} finished with other settings; rerun into a new --out folder"
                    )
                log.info("stage %s (%s): already finished, skipping", spec.name, spec.type)
                continue
            artifacts = {**{name: name for name in BUILTIN_MODELS}, **state.data["artifacts"]}
            for alias, source in spec.inputs.items():
                if source not in artifacts:
                    raise UserError(
                        f"stage {spec.name!r}: input {source!r} was not produced by an earlier stage"
                    )
                artifacts[alias] = artifacts[source]
            stage_dir = run_dir / spec.name
            stage_dir.mkdir(exist_ok=True)
            ctx = StageContext(
                run_dir=run_dir,
                stage_dir=stage_dir,
                artifacts=artifacts,
                logger=MetricsLogger(stage_dir),
                seed=recipe.seed + index,
                resume=resume,
                inputs=tuple(spec.inputs),
            )
            log.info("stage %s (%s): starting", spec.name, spec.type)
            started = time.time()
            produced = stage_module(spec.type).run(config, ctx) or {}
            seconds = round(time.time() - started, 1)
            for key, value in produced.items():
                state.data["artifacts"][f"{spec.name}.{key}"] = value
            state.data["finished"][spec.name] = {"digest": digest, "artifacts": produced, "seconds": seconds}
            state.save()
            MetricsLogger(run_dir).log({"stage": spec.name, "type": spec.type, "seconds": seconds})
            log.info("stage %s (%s): finished in %.1f s", spec.name, spec.type, seconds)
        return dict(state.data["artifacts"])
    finally:
        logging.getLogger("agent_rl").removeHandler(handler)
        handler.close()


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    parser = add("run", None, "run a recipe (YAML) into a run folder")
    parser.add_argument("recipe", type=Path, help="recipe YAML file (see recipes/)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a setting, e.g. seed=3 or stages.rl.rl.lr=1e-4 (repeatable)",
    )
    parser.add_argument("--out", type=out_folder, default=None, help="run folder (default runs/RECIPE_NAME)")
    parser.add_argument(
        "--resume", action="store_true", help="continue a run folder, skipping finished stages"
    )
    parser.set_defaults(main=main)


def main(args: argparse.Namespace) -> int:
    recipe = load_recipe(args.recipe, args.overrides)
    run_dir = args.out or Path("runs") / recipe.name
    artifacts = run_recipe(recipe, run_dir, resume=args.resume)
    reports = [value for key, value in artifacts.items() if key.endswith(".report")]
    print(f"run folder: {run_dir}")
    print(f"report: {run_dir / reports[-1]}" if reports else f"report: {run_dir}")
    return 0
