"""OGBench names and environments for state-based continuous control.

A dataset name such as `cube-single-play-v0` splits into an env (`cube-single-v0`) and a data style (`play`).
Single-task names (`cube-single-play-singletask-task2-v0`) fix the reward to one of the five evaluation goals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import gymnasium

from agent_rl.errors import UserError

MANIPULATION = ("cube", "scene", "puzzle")
LOCOMOTION = ("pointmaze", "antmaze", "humanoidmaze", "antsoccer")
NUM_TASKS = 5

_NAME = re.compile(
    r"^(?P<env>(?:visual-)?[a-z]+(?:-[a-z0-9]+)*?)-(?P<style>[a-z]+)(?:-singletask(?:-task(?P<task>\d))?)?-(?P<version>v\d+)$"
)


@dataclass(frozen=True)
class DatasetName:
    """The parts of an OGBench dataset name."""

    env: str  # e.g. "cube-single" (no version)
    style: str  # e.g. "play", "noisy", "navigate", "stitch"
    version: str  # e.g. "v0"

    @classmethod
    def parse(cls, name: str) -> DatasetName:
        match = _NAME.match(name)
        if match is None or "singletask" in match["env"]:
            raise UserError(
                f"not an OGBench dataset name: {name!r} (expected e.g. 'cube-single-play-v0' or "
                "'cube-single-play-singletask-task2-v0')"
            )
        return cls(env=match["env"], style=match["style"], version=match["version"])

    @property
    def dataset(self) -> str:
        return f"{self.env}-{self.style}-{self.version}"

    @property
    def env_id(self) -> str:
        return f"{self.env}-{self.version}"

    def singletask_env_id(self, task: int) -> str:
        return f"{self.env}-singletask-task{task}-{self.version}"

    @property
    def family(self) -> str:
        return self.env.removeprefix("visual-").split("-")[0]

    @property
    def is_manipulation(self) -> bool:
        return self.family in MANIPULATION


def make_singletask_env(dataset_name: str, task: int, **kwargs) -> gymnasium.Env:
    """The single-task evaluation env for one of the five goals of a dataset's environment."""
    import ogbench  # noqa: F401  (registers the env ids)

    if not 1 <= task <= NUM_TASKS:
        raise UserError(f"task must be in 1..{NUM_TASKS}, got {task}")
    return _make(DatasetName.parse(dataset_name).singletask_env_id(task), **kwargs)


def make_goal_env(dataset_name: str, **kwargs) -> gymnasium.Env:
    """The goal-conditioned evaluation env of a dataset (e.g. `cube-single-v0`): `reset(options={'task_id': t})`
    sets task t's goal."""
    return _make(DatasetName.parse(dataset_name).env_id, **kwargs)


def _make(env_id: str, **kwargs) -> gymnasium.Env:
    import ogbench  # noqa: F401  (registers the env ids)

    if env_id.startswith("visual-"):
        raise UserError(
            "only state-based OGBench environments are supported here (drop the 'visual-' prefix)"
        )
    try:
        return gymnasium.make(env_id, **kwargs)
    except gymnasium.error.Error as err:
        raise UserError(f"OGBench has no environment {env_id!r}: {err}") from err
