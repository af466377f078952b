"""`filtered_bc` stage: PAE's update, i.e. RL with binary weights.

1. Keep episodes scored as success (by the judge, or the env's own verifier).
2. Per task, keep only those at or below the 20th-percentile length (the shortest successes).
3. Add them to a replay buffer carried across iterations (newest `replay_size` episodes).
4. Draw up to `trajectories` episodes from the buffer and maximise the log-likelihood of the agent's turns
   with the shared weighted-BC loss (weight 1 for every kept turn).

Inputs: `model` (the checkpoint to train), `episodes` (an episode store folder), optionally `replay` (the
previous iteration's buffer). Outputs: `checkpoint`, `replay`.
"""

from __future__ import annotations

import logging
import random
import shutil
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field

from agent_rl.core.losses import weighted_bc_loss
from agent_rl.core.types import Episode
from agent_rl.models.loading import LoadedModel, load_model
from agent_rl.rollout.store import EpisodeStore
from agent_rl.train.policy import PolicyWithValue, TurnSample, collate, fill_token_ids, forward_logprobs
from agent_rl.train.rl import encode_turns

log = logging.getLogger("agent_rl.train.filtered_bc")


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keep_percentile: float = Field(20.0, gt=0, le=100)  # per task, keep successes at or below this length
    replay_size: int = Field(4096, ge=1)  # episodes kept in the buffer across iterations
    trajectories: int = Field(1024, ge=1)  # episodes drawn from the buffer per iteration
    epochs: int = Field(1, ge=1)
    batch_size: int = Field(8, ge=1)
    lr: float = Field(1e-5, gt=0)
    max_grad_norm: float = 1.0


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
    loaded: LoadedModel, samples: list[TurnSample], config: Config, seed: int, out_dir: Path
) -> dict:
    """Maximise the log-likelihood of the samples' response tokens; save the model to `out_dir`."""
    from accelerate import Accelerator

    accelerator = Accelerator(cpu=not torch.cuda.is_available())
    torch.manual_seed(seed)
    policy = PolicyWithValue(loaded.model, with_value=False).train()
    optimizer = torch.optim.AdamW(policy.parameters(), lr=config.lr, weight_decay=0.0)
    policy, optimizer = accelerator.prepare(policy, optimizer)
    pad_id = loaded.tokenizer.pad_token_id
    rng = random.Random(seed)
    losses = []
    for _ in range(config.epochs):
        order = list(range(len(samples)))
        rng.shuffle(order)
        for start in range(0, len(order), config.batch_size):
            chosen = [samples[i] for i in order[start : start + config.batch_size]]
            batch = {k: v.to(accelerator.device) for k, v in collate(chosen, pad_id).items()}
            logprobs, _ = forward_logprobs(policy, batch)
            mask = batch["response_mask"]
            per_turn = (logprobs * mask).sum(1) / mask.sum(1).clamp(min=1)
            loss = weighted_bc_loss(per_turn, torch.ones_like(per_turn))
            optimizer.zero_grad()
            accelerator.backward(loss)
            accelerator.clip_grad_norm_(policy.parameters(), config.max_grad_norm)
            optimizer.step()
            losses.append(loss.item())
    model = accelerator.unwrap_model(policy).model
    model.save_pretrained(out_dir)
    (loaded.processor or loaded.tokenizer).save_pretrained(out_dir)
    if loaded.processor is not None:
        loaded.tokenizer.save_pretrained(out_dir)
    return {
        "updates": len(losses),
        "first_loss": losses[0] if losses else None,
        "last_loss": losses[-1] if losses else None,
    }


def run(config: Config, ctx) -> dict[str, str]:
    episodes_store = EpisodeStore(ctx.path("episodes"))
    episodes = episodes_store.read()
    episodes_store.open_images(episodes)
    kept = select_shortest_successes(episodes, config.keep_percentile)
    previous = ctx.path("replay") if "replay" in ctx.artifacts else None
    replay_dir = ctx.stage_dir / "replay"
    buffer = update_replay(replay_dir, previous, kept, config.replay_size)
    rng = random.Random(ctx.seed)
    drawn = rng.sample(buffer, min(config.trajectories, len(buffer)))
    EpisodeStore(replay_dir).open_images(drawn)
    record = {"episodes": len(episodes), "successes": sum(e.success for e in episodes), "kept": len(kept)}
    record |= {"replay": len(buffer), "drawn": len(drawn)}
    checkpoint = ctx.artifacts["model"]  # nothing succeeded yet: the policy stays as it was
    if drawn:
        loaded = load_model(ctx.resolve("model"), device="cpu")
        fill_token_ids(drawn, loaded.tokenizer)
        samples, _ = encode_turns(drawn, loaded.processor)
        record |= train_turns(loaded, samples, config, ctx.seed, ctx.stage_dir / "checkpoint")
        record["turns"] = len(samples)
        checkpoint = ctx.rel(ctx.stage_dir / "checkpoint")
    else:
        log.warning("filtered_bc: no successful episode to learn from; passing the input model on unchanged")
    ctx.logger.log({"stage": ctx.stage_dir.name, **record})
    log.info("filtered_bc: %s", record)
    return {"checkpoint": checkpoint, "replay": ctx.rel(replay_dir)}
