"""Recipe stage `control_train`: offline RL (FQL, IQL, ReBRAC) on an OGBench dataset, optional online
fine-tuning (the FQL paper's, or WSRL's without the offline data), and evaluation on the single-task goals;
or a goal-conditioned agent (GCBC, GCIVL, GCIQL, QRL, CRL, HIQL, SHARSA, double SHARSA), offline only,
evaluated on the goals.

As in the papers, each task (task1..task5) is its own single-task problem with its own rewards, so one agent
is trained per task; a goal-conditioned agent is one agent for all tasks, trained on hindsight-relabelled
goals (`agent_rl.core.gc_buffer`) and evaluated towards each task's goal (OGBench's goal-conditioned
protocol); its checkpoint is `goals/checkpoint.pt` and its training metrics carry task 0.
The stage writes `task{N}/checkpoint.pt` per task (resumed from on rerun), training
metrics to the stage's `metrics.csv`, evaluations to `eval.csv` (success against steps, every task), and at the
end `results.json` (success per task and overall) and `success.png`. Agents train on `device` (default: CUDA
when there is a GPU). `pretrained: STAGE` starts each task from that earlier stage's final checkpoint, so two
online variants can share one offline pre-training.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from tqdm import tqdm

from agent_rl.control.agent import Precision
from agent_rl.control.evaluate import evaluate, evaluate_goals, plot_success
from agent_rl.control.presets import AGENTS, GOAL_AGENTS, build_config
from agent_rl.core.bounds import Seed
from agent_rl.core.buffers import TransitionBuffer
from agent_rl.core.device import resolve_device
from agent_rl.core.gc_buffer import GoalBuffer
from agent_rl.core.wsrl import OnlineConfig, OnlineLoop
from agent_rl.errors import UserError, describe
from agent_rl.runlog import MetricsLogger
from agent_rl.stages import StageContext
from envs.control.datasets import load_datasets
from envs.control.generate import GenConfig, generate
from envs.control.ogbench_envs import NUM_TASKS, DatasetName, make_goal_env, make_singletask_env

FIELDS = ("observations", "actions", "rewards", "masks", "next_observations")


class GenerateSettings(BaseModel):
    """Generate the dataset locally (into the run folder's `data/`) when no dataset path is given."""

    model_config = ConfigDict(extra="forbid")
    episodes: int = Field(1000, ge=10)
    episode_steps: int = Field(1000, ge=10)
    noise_style: Literal["play", "noisy"] | None = None
    seed: Seed = 0


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    env: str = "cube-single-play-v0"
    dataset_path: str | None = None  # NAME.npz (its NAME-val.npz beside it); ours or the official download
    generate: GenerateSettings | None = None
    tasks: list[int] = Field(default_factory=lambda: list(range(1, NUM_TASKS + 1)), min_length=1)
    agent: Literal[
        "fql", "iql", "rebrac", "gcbc", "gcivl", "gciql", "qrl", "crl", "hiql", "sharsa", "double_sharsa"
    ] = "fql"
    preset: Literal["gpu", "cpu"] = "gpu"  # gpu: the paper's sizes; cpu: narrower nets, fewer flow steps
    agent_config: dict[str, Any] = Field(default_factory=dict)  # overrides of the agent's get_config()
    device: str = "auto"  # auto: cuda when available, else cpu (agent_rl.core.device)
    torch_threads: int | None = Field(None, ge=1)  # e.g. 1 on a CPU shared with other jobs
    precision: Precision = "float32"  # bf16: autocast matmuls (AMX / tensor cores), float32 weights and Adam
    compile: bool = False  # fql: torch.compile the loss and its backward (a one-off compile of 1-2 minutes)
    pretrained: str | None = None  # an earlier control_train stage of this run to start every task from
    offline_steps: int = Field(1_000_000, ge=0)
    online_steps: int = Field(0, ge=0)  # online env steps (each followed by online.utd updates after warm-up)
    online: OnlineConfig = (
        OnlineConfig()
    )  # keep_offline_data / warmup_steps / utd; WSRL drops the offline data
    eval_interval: int = Field(100_000, ge=1)
    eval_episodes: int = Field(50, ge=1)
    final_eval_episodes: int | None = Field(None, ge=1)  # the last evaluation's (default: eval_episodes)
    episode_steps: int | None = Field(None, ge=1)  # cap eval/online episodes (default: the env's limit)
    checkpoint_interval: int = Field(50_000, ge=1)
    log_interval: int = Field(1000, ge=1)

    @model_validator(mode="after")
    def _check(self) -> Config:
        DatasetName.parse(self.env)
        if self.dataset_path is None and self.generate is None:
            raise ValueError("give dataset_path (an OGBench .npz) or generate: {episodes: N} to make one")
        if bad := [t for t in self.tasks if not 1 <= t <= NUM_TASKS]:
            raise ValueError(f"tasks must be in 1..{NUM_TASKS}, got {bad}")
        if self.compile and self.agent != "fql":
            raise ValueError(f"compile is measured for fql only, not {self.agent}: set compile: false")
        if self.agent in GOAL_AGENTS and self.online_steps:
            raise ValueError(f"{self.agent} is goal-conditioned and trains offline only: set online_steps: 0")
        try:
            build_config(self.agent, self.preset, self.env, self.agent_config, online=self.online_steps > 0)
        except ValidationError as err:  # the agent's own config: name the field under agent_config
            raise ValueError(f"agent_config.{describe(err)}") from None
        return self


def _dataset_file(config: Config, ctx: StageContext) -> Path:
    if config.dataset_path is not None:
        return Path(config.dataset_path).expanduser()
    gen = config.generate
    cfg = GenConfig(config.env, gen.episodes, gen.episode_steps, gen.noise_style, seed=gen.seed)
    train, _ = generate(cfg, ctx.run_dir / "data")
    return train


def _save(path: Path, state: dict) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


class TaskTrainer:
    """Trains, checkpoints and evaluates one agent on one task."""

    def __init__(self, config: Config, ctx: StageContext, dataset_file: Path, task: int):
        self.config, self.ctx, self.task = config, ctx, task
        self.dir = ctx.stage_dir / self.folder
        self.dir.mkdir(parents=True, exist_ok=True)
        agent_cls, _ = AGENTS[config.agent]
        self.agent_config = build_config(
            config.agent, config.preset, config.env, config.agent_config, online=config.online_steps > 0
        )
        self.next_actions = agent_cls.needs_next_actions
        self.eval_env = self._make_env()
        self.buffer = self._offline_buffer(dataset_file)
        obs_dim, action_dim = self.buffer.data["observations"].shape[1], self.buffer.data["actions"].shape[1]
        if config.torch_threads:
            torch.set_num_threads(config.torch_threads)
        self.device = resolve_device(config.device)
        torch.manual_seed(ctx.seed + task)
        self.agent = agent_cls(obs_dim, action_dim, self.agent_config, device=self.device)
        self.agent.set_precision(config.precision)
        if config.compile:
            self.agent.compile()
        self.rng = np.random.default_rng(ctx.seed + task)
        self.step = 0
        self.history: list[tuple] = []  # (step, success), then each task's success for a goal agent
        self.checkpoint = self.dir / "checkpoint.pt"
        self.eval_logger = MetricsLogger(ctx.stage_dir, name="eval")  # eval.csv / eval.jsonl, all tasks
        if ctx.resume and self.checkpoint.exists():
            self._load(self.checkpoint)
        elif config.pretrained:
            self._load_pretrained(ctx.run_dir / config.pretrained / self.folder / "checkpoint.pt")

    @property
    def folder(self) -> str:
        return f"task{self.task}"

    @property
    def _env_limit(self) -> dict[str, int]:
        return {"max_episode_steps": self.config.episode_steps} if self.config.episode_steps else {}

    def _make_env(self):
        return make_singletask_env(self.config.env, self.task, **self._env_limit)

    def _offline_buffer(self, dataset_file: Path) -> TransitionBuffer:
        """This task's transitions, with its single-task rewards and masks."""
        train, _ = load_datasets(self.config.env, dataset_file, self.task, env=self.eval_env)
        self.offline = {k: train[k].astype(np.float32) for k in FIELDS}
        self.offline_size = len(self.offline["observations"])
        return TransitionBuffer.from_dataset(self.offline, next_actions=self.next_actions)

    @property
    def total_steps(self) -> int:
        return self.config.offline_steps + self.config.online_steps

    def _online_buffer(self, online: dict[str, np.ndarray] | None = None) -> TransitionBuffer:
        keep = self.config.online.keep_offline_data
        capacity = (self.offline_size if keep else 0) + self.config.online_steps
        example = {k: v[0] for k, v in self.offline.items()}
        buffer = TransitionBuffer(capacity, example, next_actions=self.next_actions)
        if keep:
            buffer.add_batch(self.offline)
        if online is not None and len(online["observations"]):
            buffer.add_batch(online)
        return buffer

    def _online_part(self) -> dict[str, np.ndarray]:
        start = self.offline_size if self.config.online.keep_offline_data else 0
        return {k: v[start : self.buffer.size] for k, v in self.buffer.data.items()}

    def _save(self) -> None:
        state = {
            "step": self.step,
            "agent": self.agent.state_dict(),
            "optimizers": {k: o.state_dict() for k, o in self.agent.optimizers.items()},
            "rng": self.rng.bit_generator.state,
            "torch_rng": torch.get_rng_state(),
            "history": self.history,
            "agent_config": self.agent_config.model_dump(),
        }
        if self.step > self.config.offline_steps:
            state["online"] = self._online_part()
        _save(self.checkpoint, state)

    def _load_pretrained(self, path: Path) -> None:
        """Weights, optimiser and history of an earlier stage, which must have finished the offline steps."""
        if not path.exists():
            raise UserError(
                f"pretrained checkpoint {path} not found: run the stage {self.config.pretrained!r} first"
            )
        state = torch.load(path, weights_only=False, map_location=self.device)
        if state["step"] != self.config.offline_steps:
            raise UserError(
                f"{path} is at step {state['step']}, but this stage's offline_steps is {self.config.offline_steps}"
            )
        self._load(path, state)

    def _load(self, path: Path, state: dict | None = None) -> None:
        state = state or torch.load(path, weights_only=False, map_location=self.device)
        self.agent.load_state_dict(state["agent"])
        for k, o in self.agent.optimizers.items():
            o.load_state_dict(state["optimizers"][k])
        self.rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        self.step, self.history = state["step"], [tuple(p) for p in state["history"]]
        if "online" in state:
            self.buffer = self._online_buffer(state["online"])

    @property
    def eval_episodes(self) -> int:
        """Episodes of the evaluation at the current step: the final one may use more, for a narrower interval."""
        final = self.config.final_eval_episodes
        return final if final and self.step >= self.total_steps else self.config.eval_episodes

    def _evaluate(self) -> float:
        self.agent.eval()
        result = evaluate(self.agent.act, self.eval_env, self.eval_episodes, seed=10_000 * self.task)
        self.agent.train()
        self.history.append((self.step, result["success"]))
        self.eval_logger.log(
            {"task": self.task, "step": self.step, **{f"eval/{k}": v for k, v in result.items()}}
        )
        return result["success"]

    def train(self) -> float:
        """Run to the configured number of steps (from the checkpoint, if any); returns the final success."""
        cfg = self.config
        online: OnlineLoop | None = None
        bar = tqdm(total=self.total_steps, initial=self.step, desc=f"{cfg.agent} {self.folder}", unit="step")
        while self.step < self.total_steps:
            if self.step < cfg.offline_steps:
                metrics = self.agent.update(
                    self.buffer.sample(self.agent_config.batch_size, self.rng, self.device)
                )
            else:
                if online is None:
                    if self.step == cfg.offline_steps:
                        self.buffer = self._online_buffer()
                    online = OnlineLoop(
                        self.agent,
                        self._make_env(),
                        self.buffer,
                        cfg.online,
                        self.agent_config.batch_size,
                        seed=cfg.offline_steps + self.step + self.ctx.seed,
                        device=self.device,
                    )
                metrics = online.step(self.step - cfg.offline_steps, self.rng)
            self.step += 1
            bar.update(1)
            if metrics is not None and self.step % cfg.log_interval == 0:
                metrics = {k: float(v) for k, v in metrics.items()}
                bar.set_postfix({k: f"{v:.3g}" for k, v in list(metrics.items())[:3]})
                self.ctx.logger.log(
                    {"stage": "control_train", "task": self.task, "step": self.step, **metrics}
                )
            if self.step % cfg.eval_interval == 0 or self.step == self.total_steps:
                bar.write(f"{self.folder} step {self.step}: success {self._evaluate():.2f}")
            if self.step % cfg.checkpoint_interval == 0 or self.step == self.total_steps:
                self._save()
        bar.close()
        if online is not None:
            online.env.close()
        if not self.history or self.history[-1][0] != self.step:
            self._evaluate()
            self._save()
        self.eval_env.close()
        return self.history[-1][1]


class GoalTrainer(TaskTrainer):
    """Trains, checkpoints and evaluates one goal-conditioned agent on all of the stage's tasks."""

    def __init__(self, config: Config, ctx: StageContext, dataset_file: Path):
        super().__init__(config, ctx, dataset_file, task=0)

    @property
    def folder(self) -> str:
        return "goals"

    def _make_env(self):
        return make_goal_env(self.config.env, **self._env_limit)

    def _offline_buffer(self, dataset_file: Path) -> GoalBuffer:
        """All transitions; goals, rewards and masks are relabelled per batch."""
        train, _ = load_datasets(self.config.env, dataset_file)
        data = {
            k: train[k].astype(np.float32)
            for k in ("observations", "actions", "next_observations", "terminals")
        }
        return GoalBuffer(data, self.agent_config.goals)

    def _evaluate(self) -> float:
        self.agent.eval()
        result = evaluate_goals(self.agent.act, self.eval_env, self.config.tasks, self.eval_episodes)
        self.agent.train()
        per_task = {t: result[f"task{t}"] for t in self.config.tasks}
        self.history.append((self.step, result["success"], per_task))
        for task, success in per_task.items():
            self.eval_logger.log({"task": task, "step": self.step, "eval/success": success})
        return result["success"]

    def task_histories(self) -> dict[int, list[tuple[int, float]]]:
        return {t: [(step, per_task[t]) for step, _, per_task in self.history] for t in self.config.tasks}


def _train_all(config: Config, ctx: StageContext, dataset_file: Path) -> tuple[dict, dict]:
    """(final success, evaluation history) per task."""
    if config.agent in GOAL_AGENTS:
        trainer = GoalTrainer(config, ctx, dataset_file)
        trainer.train()
        history = trainer.task_histories()
        return {t: points[-1][1] for t, points in history.items()}, history
    final, history = {}, {}
    for task in config.tasks:
        trainer = TaskTrainer(config, ctx, dataset_file, task)
        final[task] = trainer.train()
        history[task] = trainer.history
    return final, history


def run(config: Config, ctx: StageContext) -> dict[str, str]:
    """Train and evaluate one agent per task; write results.json and success.png into the stage folder."""
    dataset_file = _dataset_file(config, ctx)
    if not dataset_file.exists():
        raise UserError(
            f"dataset {dataset_file} not found (official downloads cannot be reached here: use generate)"
        )
    final, history = _train_all(config, ctx, dataset_file)
    results = {
        "env": config.env,
        "agent": config.agent,
        "preset": config.preset,
        "steps": config.offline_steps + config.online_steps,
        "eval_episodes": config.final_eval_episodes or config.eval_episodes,  # per task, of the final success
        "success_per_task": {f"task{t}": s for t, s in final.items()},
        "success": float(np.mean(list(final.values()))),
        "history": {f"task{t}": h for t, h in history.items()},
    }
    (ctx.stage_dir / "results.json").write_text(json.dumps(results, indent=2))
    plot_success(history, ctx.stage_dir / "success.png", f"{config.agent.upper()} on {config.env}")
    rel = ctx.stage_dir.relative_to(ctx.run_dir)
    return {
        "control_results": str(rel / "results.json"),
        "control_plot": str(rel / "success.png"),
        "control_checkpoints": str(rel),
    }
