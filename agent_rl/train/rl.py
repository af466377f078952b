"""RL with turn-level credit, as a mode of the learner: multi-turn episodes in, one policy update out.

Every turn with sampled tokens is a training sample (the prompt the model saw plus the tokens it sampled,
exactly as the backend stored them). Then:

- `advantage: group` (critic-free): each turn's return-to-go, normalised within its group (same hand/task);
- `advantage: gae` (PPO as in the study): a value head on the shared backbone, GAE over turns (γ, λ).

The trainer recomputes the log-probs of the sampled tokens, then runs `epochs` passes of the clipped loss
(masked to response tokens) with an optional KL to the frozen starting model. The GeneralPoints loop that
plays the episodes is `train.gp_rl`; learning from stored, scored episodes is `learn_from_store`.
"""

from __future__ import annotations

import math
import random
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict

from agent_rl.backends.tokens import open_images
from agent_rl.core.bounds import Count, LearningRate, NonNegative, Positive, Probability, Seed, Temperature
from agent_rl.core.policy_gradient import clipped_pg_loss, clipped_value_loss, kl_to_reference, masked_mean
from agent_rl.core.returns import discounted_returns, gae, group_normalized_advantages
from agent_rl.core.types import Episode
from agent_rl.models.lora import LoraOptions
from agent_rl.rollout.store import EpisodeStore
from agent_rl.train.learner import Learner
from agent_rl.train.policy import PolicyWithValue, TurnSample, fill_token_ids, forward_logprobs
from envs.generalpoints import SEEDS, EnvOptions


class RLConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    env: EnvOptions = EnvOptions()
    iterations: Count = 20
    hands_per_iter: Count = 8
    group_size: Count = 4
    advantage: Literal["group", "gae"] = "group"
    group_std: bool = True  # group advantages divided by the group's std (GRPO); False: mean only (Dr. GRPO)
    # the group baseline: the turns at the same attempt ("per_turn"), or every turn of the group ("pooled")
    group_baseline: Literal["per_turn", "pooled"] = "per_turn"
    gamma: Probability = 0.9
    lam: Probability = 0.95
    clip: Positive = 0.1
    epochs: Count = 2
    minibatch_size: Count = 32  # turns per optimiser step
    micro_batch_size: Count = 8  # turns per forward pass (gradient accumulation inside a minibatch)
    lr: LearningRate = 1e-5
    lr_scheduler: Literal["constant", "cosine"] = "constant"
    max_grad_norm: Positive = 1.0
    value_coef: NonNegative = 0.5
    value_clip: Positive | None = None  # PPO's clip of the value around its old estimate; None: squared error
    kl_coef: NonNegative = 0.0
    temperature: Temperature = 1.0
    max_new_tokens: Count = 96
    save_every: Count = 5  # iterations between checkpoints (the last iteration always saves)
    compute_lambda: NonNegative = 6.0  # the spec's λ: RL compute = 6·N·D + 2·N·λ·D
    deepspeed: str | dict[str, Any] | None = None
    lora: LoraOptions | None = None  # train LoRA adapters (PEFT) instead of every weight; saved merged
    freeze_vision: bool = False  # a VLM's vision tower stays as loaded
    hand_seed: Seed = SEEDS["rl"]  # hands are dealt from seeds hand_seed, hand_seed+1, ...
    hand_pool: Count | None = None  # cycle through this many hands instead of fresh ones every iteration


def turn_advantages(
    episodes: list[Episode], groups: list[list[int]], config: RLConfig, values: list[np.ndarray] | None
):
    """Per-episode arrays of (advantage, value target) per turn."""
    rewards = [[t.reward for t in e.turns] for e in episodes]
    advantages: list[np.ndarray] = [np.zeros(0)] * len(episodes)
    targets: list[np.ndarray] = [np.zeros(0)] * len(episodes)
    if config.advantage == "group":
        for group in groups:
            for i, adv in zip(
                group,
                group_normalized_advantages(
                    [rewards[i] for i in group],
                    config.gamma,
                    by_std=config.group_std,
                    per_turn=config.group_baseline == "per_turn",
                ),
                strict=True,
            ):
                advantages[i] = adv
                targets[i] = discounted_returns(rewards[i], config.gamma)
    else:
        assert values is not None
        for i, r in enumerate(rewards):
            advantages[i], targets[i] = gae(r, values[i], config.gamma, config.lam)
        flat = np.concatenate(advantages)  # PPO's batch-level whitening
        if flat.size > 1 and flat.std() > 1e-8:
            advantages = [(a - flat.mean()) / (flat.std() + 1e-8) for a in advantages]
    return advantages, targets


class RLTrainer:
    """The RL mode of the learner: the clipped policy-gradient loss (+ value loss, + KL to a frozen copy)."""

    def __init__(self, model_path: str, config: RLConfig, seed: int, reference: str | None = None) -> None:
        """`reference`: the frozen model of the KL term, the starting model (default `model_path`); a resumed
        run loads its weights from the checkpoint but keeps the starting model as reference."""
        from agent_rl.models.loading import load_model

        self.config = config
        self.learner = Learner(
            model_path,
            lr=config.lr,
            micro_batch_size=config.micro_batch_size,
            max_grad_norm=config.max_grad_norm,
            with_value=config.advantage == "gae",
            deepspeed=config.deepspeed,
            seed=seed,
            lora=config.lora,
            freeze_vision=config.freeze_vision,
        )
        self.tokenizer, self.processor = self.learner.tokenizer, self.learner.processor
        self.n_params = self.learner.n_params
        self.reference = None
        if config.kl_coef > 0:
            ref = load_model(reference or model_path, device=str(self.learner.device)).model
            self.reference = PolicyWithValue(ref, with_value=False).eval().requires_grad_(False)

    @property
    def model(self):
        return self.learner.model

    def set_lr(self, iteration: int) -> None:
        scale = 1.0
        if self.config.lr_scheduler == "cosine":
            scale = 0.5 * (1 + math.cos(math.pi * iteration / max(1, self.config.iterations)))
        self.learner.set_lr(self.config.lr * scale)

    @torch.no_grad()
    def score(self, samples: list[TurnSample]) -> list[float]:
        """Fill old (and reference) log-probs of every sample; return prompt values (0 without a value head)."""
        values: list[float] = []
        if not self._needs_old_logprobs(samples):  # one pass over the data: the update's own log-probs
            return [0.0] * len(samples)
        policy = self.learner.accelerator.unwrap_model(self.learner.policy)  # no collectives: ranks differ
        policy.eval()
        for chunk, batch in self.learner.batches(samples):
            logprobs, prompt_values = forward_logprobs(policy, batch, self.config.temperature)
            ref = (
                forward_logprobs(self.reference, batch, self.config.temperature)[0]
                if self.reference
                else None
            )
            for i, s in enumerate(chunk):
                span = slice(s.n_prompt - 1, len(s.input_ids) - 1)
                s.old_logprobs = logprobs[i, span].cpu()
                s.ref_logprobs = ref[i, span].cpu() if ref is not None else None
                s.old_value = float(prompt_values[i]) if prompt_values is not None else 0.0
                values.append(s.old_value)
        policy.train()
        return values

    @property
    def rank_minibatch_size(self) -> int:
        """Each rank's share of the `minibatch_size` turns of one optimiser step."""
        return math.ceil(self.config.minibatch_size / self.learner.world)

    def _needs_old_logprobs(self, samples: list[TurnSample]) -> bool:
        cfg = self.config
        one_pass = cfg.epochs == 1 and len(samples) <= self.rank_minibatch_size
        return not one_pass or self.reference is not None or cfg.advantage == "gae"

    def _aligned(self, chunk: list[TurnSample], batch: dict[str, torch.Tensor], attr: str) -> torch.Tensor:
        out = torch.zeros_like(batch["response_mask"])
        for i, s in enumerate(chunk):
            out[i, s.n_prompt - 1 : len(s.input_ids) - 1] = getattr(s, attr)
        return out

    def update(self, samples: list[TurnSample], rng: random.Random) -> dict[str, float]:
        """`epochs` passes of minibatch steps over the samples; returns averaged loss statistics."""
        cfg = self.config
        totals: dict[str, float] = {}
        count = 0
        size = self.rank_minibatch_size
        steps = self.learner.max_over_ranks(math.ceil(len(samples) / size))  # the same on every rank
        for _ in range(cfg.epochs):
            order = samples[:]
            rng.shuffle(order)
            for step in range(steps):
                # similar lengths share a forward pass (less padding); the minibatch's gradient is the same
                minibatch = sorted(order[step * size : (step + 1) * size], key=lambda s: len(s.input_ids))
                for stats in self.learner.step(
                    minibatch, self._loss, weight=lambda s: s.n_response, filler=samples[0]
                ):
                    for key, value in stats.items():
                        totals[key] = totals.get(key, 0.0) + value
                    count += 1
        return {key: value / max(1, count) for key, value in totals.items()}

    def _loss(
        self, chunk: list[TurnSample], batch: dict[str, torch.Tensor]
    ) -> tuple[torch.Tensor, dict[str, float]]:
        cfg = self.config
        device = self.learner.device
        mask = batch["response_mask"]
        logprobs, values = forward_logprobs(self.learner.policy, batch, cfg.temperature)
        on_policy = chunk[0].old_logprobs is None
        old = logprobs.detach() if on_policy else self._aligned(chunk, batch, "old_logprobs").to(device)
        advantages = torch.tensor([s.advantage for s in chunk], device=device, dtype=torch.float32)
        loss, stats = clipped_pg_loss(
            logprobs, old, advantages.unsqueeze(1).expand_as(logprobs), mask, cfg.clip
        )
        stats["pg_loss"] = loss.item()
        if self.reference is not None:
            ref = self._aligned(chunk, batch, "ref_logprobs").to(device)
            kl = masked_mean(kl_to_reference(logprobs, ref), mask)
            loss = loss + cfg.kl_coef * kl
            stats["kl_ref"] = kl.item()
        if values is not None:
            targets = torch.tensor([s.value_target for s in chunk], device=device, dtype=torch.float32)
            old_values = torch.tensor([s.old_value for s in chunk], device=device, dtype=torch.float32)
            value_loss = clipped_value_loss(values, old_values, targets, clip=cfg.value_clip)
            loss = loss + cfg.value_coef * value_loss
            stats["value_loss"] = value_loss.item()
        return loss, stats

    def save(self, folder: Path, iteration: int, extra: dict[str, Any]) -> None:
        """A loadable model folder plus the value head, optimiser and iteration for resuming."""
        self.learner.save(folder, {"iteration": iteration, **extra})

    def load_state(self, folder: Path) -> dict[str, Any]:
        return self.learner.load_state(folder)


def encode_turns(episodes: list[Episode], processor: Any) -> tuple[list[TurnSample], list[tuple[int, int]]]:
    """Training samples for every turn with a response, and (episode, turn) for each."""
    samples, where = [], []
    for e, episode in enumerate(episodes):
        for t, turn in enumerate(episode.turns):
            if not turn.response_token_ids or not turn.info.get("graded", True):
                continue  # nothing sampled, or the env's ungraded closing step (its reward still counts)
            extra = {}
            if turn.images and processor is not None:  # the VLM needs the pixels again
                extra = dict(processor.image_processor(images=open_images(turn.images), return_tensors="pt"))
            prompt = list(turn.prompt_token_ids or [])
            samples.append(TurnSample(prompt + list(turn.response_token_ids), len(prompt), extra=extra))
            where.append((e, t))
    return samples, where


def learn_from(
    trainer: RLTrainer, episodes: list[Episode], groups: list[list[int]], rng: random.Random
) -> dict[str, float]:
    """Score the episodes' turns, give each turn its advantage, and update. Groups index into `episodes`."""
    started = time.perf_counter()
    samples, where = encode_turns(episodes, trainer.processor)
    values = trainer.score(samples)
    scored = time.perf_counter()
    per_episode = [np.zeros(len(e.turns)) for e in episodes]
    for (e, t), value in zip(where, values, strict=True):
        per_episode[e][t] = value
    advantages, targets = turn_advantages(episodes, groups, trainer.config, per_episode)
    for sample, (e, t) in zip(samples, where, strict=True):
        sample.advantage = float(advantages[e][t])
        sample.value_target = float(targets[e][t])
    stats = trainer.update(samples, rng) if samples else {}
    n = max(1, len(episodes))
    return {
        "mean_reward": sum(e.total_reward for e in episodes) / n,
        "success_rate": sum(e.success for e in episodes) / n,
        "mean_turns": sum(len(e.turns) for e in episodes) / n,
        "first_turn_reward": sum(e.turns[0].reward for e in episodes if e.turns) / n,
        "turns": len(samples),
        "tokens": sum(len(s.input_ids) for s in samples),
        "response_tokens": sum(s.n_response for s in samples),
        "logprob_s": scored - started,
        "update_s": time.perf_counter() - scored,
        **stats,
    }


def learn_from_store(trainer: RLTrainer, store_dir: Path, rng: random.Random) -> dict[str, float]:
    """One update on stored episodes with their rewards (e.g. web episodes scored by the judge); episodes of
    the same task form a group for the critic-free advantage."""
    store = EpisodeStore(store_dir)
    episodes = [e for e in store.read() if not e.error and e.turns]
    store.open_images(episodes)
    fill_token_ids(episodes, trainer.tokenizer, trainer.processor)
    groups: dict[str, list[int]] = {}
    for i, episode in enumerate(episodes):
        groups.setdefault(episode.task_key, []).append(i)
    return learn_from(trainer, episodes, list(groups.values()), rng)
