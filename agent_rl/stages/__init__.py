"""Recipe stages: one module per stage type; the module's name is the type.

A stage module exposes `Config` (pydantic, extra="forbid": the settings under the stage's type key in a
recipe) and `run(config, ctx: StageContext) -> dict[str, str]` (the artifacts it wrote, paths relative to the
run folder). Stages are found by listing this package, so adding a stage type is adding one file here.
"""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from agent_rl.backends import MODEL_BACKENDS, Backend, closing, make_backend
from agent_rl.errors import UserError
from agent_rl.runlog import MetricsLogger


def stage_types() -> list[str]:
    """Every stage type: the modules of this package."""
    return sorted(info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_"))


def stage_module(kind: str) -> ModuleType:
    if kind not in stage_types():
        raise UserError(f"unknown stage type {kind!r}; choose one of: {', '.join(stage_types())}")
    return importlib.import_module(f"{__name__}.{kind}")


@dataclass
class StageContext:
    """What a stage gets from the recipe runner besides its own settings."""

    run_dir: Path
    stage_dir: Path
    artifacts: dict[str, str]  # every earlier artifact ("model", "<stage>.<name>") plus this stage's aliases
    logger: MetricsLogger
    seed: int
    resume: bool
    inputs: tuple[str, ...] = ()  # the local names of the stage's `inputs:`, in recipe order

    @property
    def name(self) -> str:
        return self.stage_dir.name

    def path(self, name: str) -> Path:
        """The absolute path of an input artifact, with a clear error when the recipe did not wire it."""
        if name not in self.artifacts:
            raise UserError(
                f"stage {self.name!r} needs an input named {name!r}; "
                f"add it under `inputs:` (available: {', '.join(sorted(self.artifacts))})"
            )
        return self.run_dir / self.artifacts[name]

    def resolve(self, name: str) -> str:
        """An input as a loadable location: a path inside the run folder, an absolute path or a hub id."""
        path = self.path(name)
        return str(path) if path.exists() else self.artifacts[name]

    def rel(self, path: Path) -> str:
        return str(Path(path).resolve().relative_to(self.run_dir.resolve()))

    @contextlib.contextmanager
    def backend(self, spec: dict[str, Any], model_input: str = "model") -> Iterator[Backend]:
        """The stage's backend, closed (e.g. its server stopped) when the stage is done with it.

        A model-loading type without `model` in its spec takes the stage's input artifact `model_input`.
        """
        spec = dict(spec)
        if spec.get("type", "transformers") in MODEL_BACKENDS and "model" not in spec:
            spec["model"] = self.resolve(model_input)
        with closing(make_backend(spec)) as backend:
            yield backend
