"""Load OGBench datasets (ours from `gen-data`, or the official downloads: same files, same keys).

The returned dicts hold float32 arrays of transitions: `observations`, `actions` (clipped to ±(1−1e-5)),
`next_observations` (built by shifting inside each episode) and `terminals` (1 at each episode's last
transition). With a task, `rewards` and `masks` are relabelled for that single-task goal by OGBench's own
rules: manipulation reward = subtasks satisfied − subtasks, mask 0 only when all are done; locomotion reward
= success − 1.
"""

from __future__ import annotations

from pathlib import Path

import gymnasium
import numpy as np

from agent_rl.errors import UserError
from envs.control.ogbench_envs import DatasetName, make_singletask_env

ACTION_CLIP = 1.0 - 1e-5
INFO_KEYS = ("qpos", "qvel", "button_states")


def _read(path: Path, with_info: bool) -> dict[str, np.ndarray]:
    from ogbench.utils import load_dataset

    if not path.exists():
        raise UserError(
            f"dataset file {path} not found; generate it with `agent-rl data generate --env NAME --out DIR` "
            "or place the official NAME.npz and NAME-val.npz there"
        )
    try:
        data = load_dataset(str(path), add_info=with_info)
    except (KeyError, ValueError, OSError) as err:
        raise UserError(
            f"{path} is not an OGBench dataset (needs observations, actions, terminals): {err}"
        ) from err
    data["actions"] = np.clip(data["actions"], -ACTION_CLIP, ACTION_CLIP)
    return data


def load_datasets(
    dataset: str, path: str | Path, task: int | None = None, env: gymnasium.Env | None = None
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(train, val) for a dataset file `path` (its `-val.npz` twin sits beside it).

    With `task` in 1..5 the single-task rewards and masks for that evaluation goal are added; pass that task's
    env (`make_singletask_env`) to reuse it, since building a MuJoCo env takes a while.
    """
    from ogbench.relabel_utils import relabel_dataset

    name = DatasetName.parse(dataset)
    train_path = Path(path)
    val_path = train_path.with_name(train_path.name.removesuffix(".npz") + "-val.npz")
    splits = [_read(p, with_info=task is not None) for p in (train_path, val_path)]
    if task is not None:
        if "qpos" not in splits[0]:
            raise UserError(f"{train_path} has no 'qpos', so single-task rewards cannot be computed")
        relabel_env = env or make_singletask_env(dataset, task)
        for split in splits:
            relabel_dataset(name.singletask_env_id(task), relabel_env, split)
        if env is None:
            relabel_env.close()
    for split in splits:
        for k in INFO_KEYS:
            split.pop(k, None)
    return splits[0], splits[1]
