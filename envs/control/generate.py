"""Generate OGBench-format datasets locally: manipulation with the scripted oracles shipped in `ogbench`,
pointmaze navigation with our waypoint controller (`envs.control.pointmaze`).

The official servers cannot be reached here, so we replay the data-collection loop. Manipulation: the env runs
in `data_collection` mode without terminating at the goal, an oracle drives the arm towards a random target,
and whenever the oracle is done the env draws a new target. "play" data uses the noisy plan oracles; "noisy"
data uses the Markov oracles plus uniformly random actions. Pointmaze: a noisy BFS waypoint controller walks
to random goal cells, a new one each time it gets there ("navigate"), or to one goal 4 cells away ("stitch").

Episodes are written in chunks (`DIR/.chunks-NAME/chunk_XXXXX.npz`, each seeded by its index), so an
interrupted run resumes from the last finished chunk and produces the same data as an uninterrupted one.
The final files are `DIR/NAME.npz` and `DIR/NAME-val.npz` with the official keys and dtypes; the settings
they were made with go to `DIR/NAME.settings.json` first, and a rerun with other settings is refused.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Literal

import gymnasium
import numpy as np
from tqdm import tqdm

from agent_rl.errors import UserError
from envs.control.ogbench_envs import DatasetName
from envs.control.pointmaze import MAZE_NOISE, WaypointController, collect_maze_episode, make_maze_env

NoiseStyle = Literal["play", "noisy", "navigate", "stitch"]
NAVIGATION = ("pointmaze",)  # locomotion families whose expert is scripted (ant/humanoid need trained ones)


@dataclass
class GenConfig:
    dataset: str = "cube-single-play-v0"
    episodes: int = 1000  # training episodes; the validation split adds episodes // 10
    episode_steps: int = 1000
    noise_style: NoiseStyle | None = None  # default: the style in the dataset name
    p_random_action: float = 0.2  # "noisy" style only
    chunk_episodes: int = 10
    action_noise: float | None = None  # pointmaze only: the controller's Gaussian σ (default OGBench's 0.5)
    seed: int = 0


def _make_oracles(env: gymnasium.Env, family: str, style: NoiseStyle) -> dict:
    """Oracle per target task ('cube', 'button', 'drawer', 'window'), as the env names them in its info."""
    if style == "play":
        from ogbench.manipspace.oracles.plan.button_plan import ButtonPlanOracle as Button
        from ogbench.manipspace.oracles.plan.cube_plan import CubePlanOracle as Cube
        from ogbench.manipspace.oracles.plan.drawer_plan import DrawerPlanOracle as Drawer
        from ogbench.manipspace.oracles.plan.window_plan import WindowPlanOracle as Window

        kwargs = {"env": env, "noise": 0.1, "noise_smoothing": 0.5}
    else:
        from ogbench.manipspace.oracles.markov.button_markov import ButtonMarkovOracle as Button
        from ogbench.manipspace.oracles.markov.cube_markov import CubeMarkovOracle as Cube
        from ogbench.manipspace.oracles.markov.drawer_markov import DrawerMarkovOracle as Drawer
        from ogbench.manipspace.oracles.markov.window_markov import WindowMarkovOracle as Window

        kwargs = {"env": env, "min_norm": 0.4}
    if family == "cube":
        return {"cube": Cube(**kwargs)}
    if family == "scene":
        return {
            "cube": Cube(**kwargs),
            "button": Button(**kwargs),
            "drawer": Drawer(**kwargs),
            "window": Window(**kwargs),
        }
    return {"button": Button(gripper_always_closed=True, **kwargs)}  # puzzle


def _collect_episode(env: gymnasium.Env, oracles: dict, cfg: GenConfig, style: NoiseStyle, seed: int) -> dict:
    np.random.seed(seed)  # the oracles draw their noise from numpy's global generator
    ob, info = env.reset(seed=seed)
    oracle = oracles[info["privileged/target_task"]]
    oracle.reset(ob, info)
    steps: dict[str, list] = {"observations": [], "actions": [], "terminals": [], "qpos": [], "qvel": []}
    has_buttons = "prev_button_states" in info
    if has_buttons:
        steps["button_states"] = []
    for t in range(cfg.episode_steps):
        if style == "noisy" and np.random.rand() < cfg.p_random_action:
            action = env.action_space.sample()
        else:
            action = np.asarray(oracle.select_action(ob, info))
        action = np.clip(action, -1.0, 1.0)
        next_ob, _, _, _, info = env.step(action)
        if oracle.done:
            target_ob, target_info = env.unwrapped.set_new_target()
            oracle = oracles[target_info["privileged/target_task"]]
            oracle.reset(target_ob, target_info)
        steps["observations"].append(ob)
        steps["actions"].append(action)
        steps["terminals"].append(t == cfg.episode_steps - 1)
        steps["qpos"].append(info["prev_qpos"])
        steps["qvel"].append(info["prev_qvel"])
        if has_buttons:
            steps["button_states"].append(info["prev_button_states"])
        ob = next_ob
    return steps


_DTYPES = {"terminals": bool, "button_states": np.int64}


def _to_arrays(steps: dict[str, list]) -> dict[str, np.ndarray]:
    return {k: np.asarray(v, dtype=_DTYPES.get(k, np.float32)) for k, v in steps.items()}


def _save_atomic(path: Path, arrays: dict[str, np.ndarray]) -> None:
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)


def _claim_settings(path: Path, cfg: GenConfig) -> None:
    """Record the settings of a new dataset; refuse to resume or reuse one made with other settings."""
    wanted = asdict(cfg)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(wanted, indent=1))
        return
    try:
        before = json.loads(path.read_text())
    except json.JSONDecodeError:
        raise UserError(
            f"{path} is corrupt: delete it and the dataset beside it, or pick another --out"
        ) from None
    changed = [f"{k} {before.get(k)!r} -> {v!r}" for k, v in wanted.items() if before.get(k) != v]
    if changed:
        raise UserError(
            f"{path.parent} holds {cfg.dataset} made with other settings ({', '.join(changed)}): "
            "rerun with the same settings, or pick another --out"
        )


def _resolve_style(cfg: GenConfig, name: DatasetName) -> GenConfig:
    """The settings with the style (and the maze's action noise) filled in from the dataset name; refuses what
    we cannot make."""
    if name.env.startswith("visual-"):
        raise UserError("only state-based datasets can be generated here (drop the 'visual-' prefix)")
    style = cfg.noise_style or name.style
    if name.family in NAVIGATION:
        if style not in ("navigate", "stitch"):
            raise UserError(f"{name.family} data comes in the 'navigate' or 'stitch' style, got {style!r}")
        noise = MAZE_NOISE if cfg.action_noise is None else cfg.action_noise
        if not (np.isfinite(noise) and noise >= 0):
            raise UserError(f"--action-noise must be a number of at least 0, got {noise}")
        return replace(cfg, noise_style=style, action_noise=noise)
    if not name.is_manipulation:
        raise UserError(
            f"local generation supports manipulation (cube, scene, puzzle) and pointmaze, not {name.family!r}: "
            "its locomotion data needs expert policies that ogbench does not ship; download the official .npz "
            "files instead"
        )
    if style not in ("play", "noisy"):
        raise UserError(f"noise style must be 'play' or 'noisy', got {style!r} (pass --noise-style)")
    if cfg.action_noise is not None:
        raise UserError("--action-noise applies to pointmaze data only")
    return replace(cfg, noise_style=style)


def _episode_collector(name: DatasetName, cfg: GenConfig) -> tuple[gymnasium.Env, Callable[[int], dict]]:
    """The data-collection env and a function from an episode's seed to its steps."""
    if name.family in NAVIGATION:
        env = make_maze_env(name.env_id, cfg.episode_steps)
        controller = WaypointController.for_env(env)
        return env, lambda seed: collect_maze_episode(
            env, controller, cfg.noise_style, cfg.episode_steps, cfg.action_noise, seed
        )
    env = gymnasium.make(
        name.env_id, terminate_at_goal=False, mode="data_collection", max_episode_steps=cfg.episode_steps
    )
    oracles = _make_oracles(env, name.family, cfg.noise_style)
    return env, lambda seed: _collect_episode(env, oracles, cfg, cfg.noise_style, seed)


def dataset_paths(out_dir: str | Path, dataset: str) -> tuple[Path, Path]:
    out = Path(out_dir)
    return out / f"{dataset}.npz", out / f"{dataset}-val.npz"


def generate(cfg: GenConfig, out_dir: str | Path, progress: bool = True) -> tuple[Path, Path]:
    """Write `NAME.npz` and `NAME-val.npz` under out_dir; resumes from finished chunks. Returns both paths."""
    import ogbench  # noqa: F401  (registers the env ids)

    name = DatasetName.parse(cfg.dataset)
    cfg = _resolve_style(cfg, name)
    if cfg.episodes < 10:
        raise UserError(
            "generate at least 10 episodes, so that the validation split (episodes // 10) is not empty"
        )
    if cfg.episode_steps < 1 or cfg.chunk_episodes < 1:
        raise UserError(
            f"--episode-steps and --chunk-episodes must be at least 1, got {cfg.episode_steps} and "
            f"{cfg.chunk_episodes}"
        )
    try:
        gymnasium.spec(name.env_id)
    except gymnasium.error.Error as err:
        raise UserError(f"no OGBench environment for {cfg.dataset!r}: {err}") from None
    train_path, val_path = dataset_paths(out_dir, name.dataset)
    _claim_settings(Path(out_dir) / f"{name.dataset}.settings.json", cfg)
    if train_path.exists() and val_path.exists():
        return train_path, val_path
    chunk_dir = Path(out_dir) / f".chunks-{name.dataset}"
    chunk_dir.mkdir(parents=True, exist_ok=True)

    total = cfg.episodes + cfg.episodes // 10
    n_chunks = -(-total // cfg.chunk_episodes)
    done = [i for i in range(n_chunks) if (chunk_dir / f"chunk_{i:05d}.npz").exists()]
    env, collect = _episode_collector(name, cfg)
    bar = tqdm(
        total=total,
        initial=len(done) * cfg.chunk_episodes,
        unit="ep",
        desc=f"gen {name.dataset}",
        disable=not progress,
    )
    for chunk in range(n_chunks):
        path = chunk_dir / f"chunk_{chunk:05d}.npz"
        if path.exists():
            continue
        episodes = range(chunk * cfg.chunk_episodes, min(total, (chunk + 1) * cfg.chunk_episodes))
        merged: dict[str, list] = {}
        for ep in episodes:
            for k, v in collect(cfg.seed * 1_000_003 + ep).items():
                merged.setdefault(k, []).extend(v)
            bar.update(1)
        _save_atomic(path, _to_arrays(merged))
    bar.close()
    env.close()

    chunks = [np.load(chunk_dir / f"chunk_{i:05d}.npz") for i in range(n_chunks)]
    data = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0].files}
    split = cfg.episodes * cfg.episode_steps
    _save_atomic(train_path, {k: v[:split] for k, v in data.items()})
    _save_atomic(val_path, {k: v[split:] for k, v in data.items()})
    for i in range(n_chunks):
        (chunk_dir / f"chunk_{i:05d}.npz").unlink()
    chunk_dir.rmdir()
    return train_path, val_path
