"""Filtered BC, PAE's update (RL with binary weights), as a mode of the learner.

1. Keep episodes scored as success (by the judge, or the env's own verifier).
2. Per task, keep only those at or below the 20th-percentile length (the shortest successes).
3. Add them to a replay buffer carried across iterations (newest `replay_size` episodes).
4. Draw up to `trajectories` episodes from the buffer and maximise the log-likelihood of the agent's turns
   with the shared weighted-BC loss (weight 1 for every kept turn).
"""

from __future__ import annotations

import random
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field

from agent_rl.core.bounds import LearningRate, Positive
from agent_rl.core.losses import weighted_bc_loss
from agent_rl.core.types import Episode
from agent_rl.models.lora import LoraOptions
from agent_rl.rollout.store import EpisodeStore
from agent_rl.train.learner import Learner
from agent_rl.train.policy import TurnSample, fill_token_ids, forward_logprobs
from agent_rl.train.rl import encode_turns


class FilteredBCConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keep_percentile: float = Field(20.0, gt=0, le=100)  # per task, keep successes at or below this length
    replay_size: int = Field(4096, ge=1)  # episodes kept in the buffer across iterations
    trajectories: int = Field(1024, ge=1)  # episodes drawn from the buffer per iteration
    epochs: int = Field(1, ge=1)
    batch_size: int = Field(8, ge=1)
    lr: LearningRate = 1e-5
    max_grad_norm: Positive = 1.0
    lora: LoraOptions | None = None  # train LoRA adapters instead of every weight (saved merged)


def select_shortest_successes(episodes: list[Episode], keep_percentile: float) -> list[Episode]:
    """Successful, error-free episodes; per task only those at or below the percentile of their lengths."""
    by_task: dict[str, list[Episode]] = defaultdict(list)
    for episode in episodes:
        if episode.success and not episode.error and episode.turns:
            by_task[episode.task_key].append(episode)
    kept = []
    for group in by_task.values():
        limit = np.percentile([len(e.turns) for e in group], keep_percentile)
        kept += [e for e in group if len(e.turns) <= limit]
    return kept


def update_replay(folder: Path, previous: Path | None, new: list[Episode], size: int) -> list[Episode]:
    """Write the buffer (previous episodes, then the new ones, newest `size` kept) as a store in `folder`."""
    old = []
    if previous is not None and previous.exists():
        previous_store = EpisodeStore(previous)
        old = previous_store.read()
        previous_store.open_images(old)  # copied into the new buffer's own folder below
    buffer = (old + new)[-size:]
    if folder.exists():
        shutil.rmtree(folder)
    store = EpisodeStore(folder)
    for episode in buffer:
        store.append(episode)
    return store.read()  # images now point into the buffer's own folder


def train_turns(
    model_path: str, episodes: list[Episode], config: FilteredBCConfig, seed: int, out_dir: Path
) -> dict[str, Any]:
    """SFT on episodes: maximise the log-likelihood of the episodes' sampled turns (weighted BC with weight 1
    for every kept turn) with the learner; save the model to `out_dir`."""
    learner = Learner(
        model_path,
        lr=config.lr,
        micro_batch_size=config.batch_size,
        max_grad_norm=config.max_grad_norm,
        seed=seed,
        lora=config.lora,
    )
    fill_token_ids(episodes, learner.tokenizer, learner.processor)
    samples, _ = encode_turns(episodes, learner.processor)

    def loss_fn(
        chunk: list[TurnSample], batch: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        logprobs, _ = forward_logprobs(learner.policy, batch)
        mask = batch["response_mask"]
        per_turn = (logprobs * mask).sum(1) / mask.sum(1).clamp(min=1)
        loss = weighted_bc_loss(per_turn, torch.ones_like(per_turn))
        return loss, {"loss": loss.item()}

    rng = random.Random(seed)
    losses = []
    for _ in range(config.epochs):
        order = list(range(len(samples)))
        rng.shuffle(order)
        for start in range(0, len(order), config.batch_size):
            chosen = [samples[i] for i in order[start : start + config.batch_size]]
            (stats,) = learner.step(chosen, loss_fn, weight=lambda s: 1.0)  # one micro-batch per step
            losses.append(stats["loss"])
    learner.save(out_dir)
    return {
        "updates": len(losses),
        "first_loss": losses[0] if losses else None,
        "last_loss": losses[-1] if losses else None,
        "turns": len(samples),
    }
