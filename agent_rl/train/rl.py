"""The `rl` stage: on-policy, multi-turn RL on GeneralPoints with turn-level credit.

Each iteration deals `hands_per_iter` hands, each to a group of `group_size` episodes, and plays them with the
current policy through the rollout runner (every verification attempt is a turn with its own reward). Then:

- `advantage: group` (critic-free): each turn's return-to-go, normalised within its hand's group;
- `advantage: gae` (PPO as in the study): a value head on the shared backbone, GAE over turns (γ, λ).

The trainer recomputes the log-probs of the sampled tokens, then runs `epochs` passes of the clipped loss
(masked to response tokens) with an optional KL to the frozen starting model. accelerate drives the devices,
so DeepSpeed and several GPUs work through the same code. Checkpoints hold the model, value head, optimiser
and iteration, and `--resume` continues from the last one; finished episodes live in the episode store.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict
from tqdm import tqdm

from agent_rl.backends.base import SamplingParams
from agent_rl.core.policy_gradient import clipped_pg_loss, clipped_value_loss, kl_to_reference, masked_mean
from agent_rl.core.returns import discounted_returns, gae, group_normalized_advantages
from agent_rl.core.types import Episode
from agent_rl.rollout.store import EpisodeStore
from agent_rl.train.episodes import Hand, deal_hands, play
from agent_rl.train.gp_data import EnvOptions
from agent_rl.train.policy import PolicyWithValue, TurnSample, collate, fill_token_ids, forward_logprobs
from agent_rl.train.sft import CheckpointLog, count_parameters

log = logging.getLogger("agent_rl.train.rl")
RL_HAND_SEED = 2_000_000  # training hands for RL: apart from evaluation (0..) and SFT (1e6..) seeds


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    env: EnvOptions = EnvOptions()
    iterations: int = 20
    hands_per_iter: int = 8
    group_size: int = 4
    advantage: Literal["group", "gae"] = "group"
    gamma: float = 0.9
    lam: float = 0.95
    clip: float = 0.1
    epochs: int = 2
    minibatch_size: int = 32  # turns per optimiser step
    micro_batch_size: int = 8  # turns per forward pass (gradient accumulation inside a minibatch)
    lr: float = 1e-5
    lr_scheduler: Literal["constant", "cosine"] = "constant"
    max_grad_norm: float = 1.0
    value_coef: float = 0.5
    kl_coef: float = 0.0
    temperature: float = 1.0
    max_new_tokens: int = 96
    save_every: int = 5  # iterations between checkpoints (the last iteration always saves)
    compute_lambda: float = 6.0  # the spec's λ: RL compute = 6·N·D + 2·N·λ·D
    deepspeed: str | dict[str, Any] | None = None
    hand_seed: int = RL_HAND_SEED  # hands are dealt from seeds hand_seed, hand_seed+1, ...
    hand_pool: int | None = None  # cycle through this many hands instead of fresh ones every iteration


def turn_advantages(
    episodes: list[Episode], groups: list[list[int]], config: Config, values: list[np.ndarray] | None
):
    """Per-episode arrays of (advantage, value target) per turn."""
    rewards = [[t.reward for t in e.turns] for e in episodes]
    advantages: list[np.ndarray] = [np.zeros(0)] * len(episodes)
    targets: list[np.ndarray] = [np.zeros(0)] * len(episodes)
    if config.advantage == "group":
        for group in groups:
            for i, adv in zip(
                group, group_normalized_advantages([rewards[i] for i in group], config.gamma), strict=True
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
    """Owns the accelerator, the policy (+ value head), the optimiser and the frozen reference."""

    def __init__(self, model_path: str, config: Config, seed: int) -> None:
        from accelerate import Accelerator

        from agent_rl.models.loading import load_model

        self.config = config
        plugin = None
        if config.deepspeed is not None:
            from accelerate.utils import DeepSpeedPlugin

            from agent_rl.train.sft import _deepspeed_setting

            ds = dict(_deepspeed_setting(config.deepspeed))  # type: ignore[arg-type]
            ds["train_micro_batch_size_per_gpu"] = config.micro_batch_size
            ds["gradient_accumulation_steps"] = 1
            plugin = DeepSpeedPlugin(hf_ds_config=ds)
        self.accelerator = Accelerator(cpu=not torch.cuda.is_available(), deepspeed_plugin=plugin)
        loaded = load_model(model_path, device="cpu")
        self.tokenizer, self.processor = loaded.tokenizer, loaded.processor
        self.n_params = count_parameters(loaded.model)
        torch.manual_seed(seed)
        policy = PolicyWithValue(loaded.model, with_value=config.advantage == "gae")
        policy.train()
        self.optimizer = torch.optim.AdamW(policy.parameters(), lr=config.lr, weight_decay=0.0)
        self.policy, self.optimizer = self.accelerator.prepare(policy, self.optimizer)
        self.reference = None
        if config.kl_coef > 0:
            ref = load_model(model_path, device=str(self.accelerator.device)).model
            self.reference = PolicyWithValue(ref, with_value=False).eval().requires_grad_(False)
        self.pad_id = self.tokenizer.pad_token_id

    @property
    def model(self):
        return self.accelerator.unwrap_model(self.policy).model

    def set_lr(self, iteration: int) -> None:
        scale = 1.0
        if self.config.lr_scheduler == "cosine":
            scale = 0.5 * (1 + math.cos(math.pi * iteration / max(1, self.config.iterations)))
        for group in self.optimizer.param_groups:
            group["lr"] = self.config.lr * scale

    def _batches(self, samples: list[TurnSample], size: int):
        for start in range(0, len(samples), size):
            chunk = samples[start : start + size]
            yield chunk, {k: v.to(self.accelerator.device) for k, v in collate(chunk, self.pad_id).items()}

    @torch.no_grad()
    def score(self, samples: list[TurnSample]) -> list[float]:
        """Fill old (and reference) log-probs of every sample; return prompt values (0 without a value head)."""
        values: list[float] = []
        if not self._needs_old_logprobs(
            samples
        ):  # one pass over the data: the update's own detached log-probs
            return [0.0] * len(samples)
        self.policy.eval()
        for chunk, batch in self._batches(samples, self.config.micro_batch_size):
            logprobs, prompt_values = forward_logprobs(self.policy, batch, self.config.temperature)
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
        self.policy.train()
        return values

    def _needs_old_logprobs(self, samples: list[TurnSample]) -> bool:
        cfg = self.config
        one_pass = cfg.epochs == 1 and len(samples) <= cfg.minibatch_size
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
        for _ in range(cfg.epochs):
            order = samples[:]
            rng.shuffle(order)
            for start in range(0, len(order), cfg.minibatch_size):
                # similar lengths share a forward pass (less padding); the minibatch's gradient is the same
                minibatch = sorted(order[start : start + cfg.minibatch_size], key=lambda s: len(s.input_ids))
                n_tokens = sum(s.n_response for s in minibatch)
                for chunk, batch in self._batches(minibatch, cfg.micro_batch_size):
                    stats = self._loss_backward(
                        chunk, batch, weight=sum(s.n_response for s in chunk) / n_tokens
                    )
                    for key, value in stats.items():
                        totals[key] = totals.get(key, 0.0) + value
                    count += 1
                if cfg.max_grad_norm:
                    self.accelerator.clip_grad_norm_(self.policy.parameters(), cfg.max_grad_norm)
                self.optimizer.step()
                self.optimizer.zero_grad(set_to_none=True)
        return {key: value / max(1, count) for key, value in totals.items()}

    def _loss_backward(
        self, chunk: list[TurnSample], batch: dict[str, torch.Tensor], weight: float
    ) -> dict[str, float]:
        cfg = self.config
        device = self.accelerator.device
        mask = batch["response_mask"]
        logprobs, values = forward_logprobs(self.policy, batch, cfg.temperature)
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
            value_loss = clipped_value_loss(values, old_values, targets, clip=None)
            loss = loss + cfg.value_coef * value_loss
            stats["value_loss"] = value_loss.item()
        self.accelerator.backward(loss * weight)
        return stats

    def save(self, folder: Path, iteration: int, extra: dict[str, Any]) -> None:
        """A loadable model folder plus the value head, optimiser and trainer state for resuming."""
        self.accelerator.wait_for_everyone()
        if self.accelerator.is_main_process:
            folder.mkdir(parents=True, exist_ok=True)
            unwrapped = self.accelerator.unwrap_model(self.policy)
            unwrapped.model.save_pretrained(folder)
            (self.processor or self.tokenizer).save_pretrained(folder)
            if unwrapped.value_head is not None:
                torch.save(unwrapped.value_head.state_dict(), folder / "value_head.pt")
            torch.save(self.optimizer.state_dict(), folder / "optimizer.pt")
            (folder / "trainer_state.json").write_text(json.dumps({"iteration": iteration, **extra}))

    def load_state(self, folder: Path) -> dict[str, Any]:
        """Restore weights (the model was already loaded from `folder`), value head and optimiser."""
        unwrapped = self.accelerator.unwrap_model(self.policy)
        if unwrapped.value_head is not None and (folder / "value_head.pt").exists():
            unwrapped.value_head.load_state_dict(torch.load(folder / "value_head.pt"))
        if (folder / "optimizer.pt").exists():
            self.optimizer.load_state_dict(torch.load(folder / "optimizer.pt"))
        return json.loads((folder / "trainer_state.json").read_text())


def encode_turns(episodes: list[Episode], processor: Any) -> tuple[list[TurnSample], list[tuple[int, int]]]:
    """Training samples for every turn with a response, and (episode, turn) for each."""
    samples, where = [], []
    for e, episode in enumerate(episodes):
        for t, turn in enumerate(episode.turns):
            if not turn.response_token_ids or not turn.info.get("graded", True):
                continue  # nothing sampled, or the env's ungraded closing step (its reward still counts)
            extra = {}
            if turn.images and processor is not None:  # the VLM needs the pixels again
                extra = dict(processor.image_processor(images=_open(turn.images), return_tensors="pt"))
            prompt = list(turn.prompt_token_ids or [])
            samples.append(TurnSample(prompt + list(turn.response_token_ids), len(prompt), extra=extra))
            where.append((e, t))
    return samples, where


def _open(images: list[Any]) -> list[Any]:
    from PIL import Image

    return [Image.open(i).convert("RGB") if isinstance(i, (str, Path)) else i for i in images]


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


def rl_iteration(
    trainer: RLTrainer,
    backend: Any,
    hands: list[Hand],
    params: SamplingParams,
    rng: random.Random,
    store_dir: Path,
    prefix: str = "episode",
) -> dict[str, float]:
    """Roll out a group per hand, score, compute turn-level advantages, update. Returns metrics and timings."""
    cfg = trainer.config
    started = time.perf_counter()
    grouped = [hand for hand in hands for _ in range(cfg.group_size)]
    episodes = play(backend, cfg.env, grouped, params, store_dir, prefix)
    rolled = time.perf_counter()
    groups = [list(range(g * cfg.group_size, (g + 1) * cfg.group_size)) for g in range(len(hands))]
    metrics = learn_from(trainer, episodes, groups, rng)
    metrics["rollout_s"] = rolled - started
    metrics["tokens_per_s"] = metrics["tokens"] / max(1e-9, time.perf_counter() - started)
    return metrics


def learn_from_store(trainer: RLTrainer, store_dir: Path, rng: random.Random) -> dict[str, float]:
    """One update on stored episodes with their rewards (e.g. web episodes scored by the judge); episodes of
    the same task form a group for the critic-free advantage."""
    store = EpisodeStore(store_dir)
    episodes = [e for e in store.read() if not e.error and e.turns]
    store.open_images(episodes)
    fill_token_ids(episodes, trainer.tokenizer)
    groups: dict[str, list[int]] = {}
    for i, episode in enumerate(episodes):
        groups.setdefault(episode.task_key, []).append(i)
    return learn_from(trainer, episodes, list(groups.values()), rng)


def iteration_hands(config: Config, iteration: int, seed: int) -> list[Hand]:
    """Fresh hands each iteration, or the next slice of a fixed pool (`hand_pool`)."""
    if config.hand_pool is None:
        start = config.hand_seed + 10_000 * seed + iteration * config.hands_per_iter
        return deal_hands(config.env, config.hands_per_iter, seed=start)
    pool = deal_hands(config.env, config.hand_pool, seed=config.hand_seed)
    first = iteration * config.hands_per_iter
    return [pool[(first + i) % len(pool)] for i in range(config.hands_per_iter)]


def _last_checkpoint(stage_dir: Path) -> Path | None:
    found = [p for p in stage_dir.glob("checkpoint-*") if (p / "trainer_state.json").exists()]
    return max(found, key=lambda p: int(p.name.split("-")[1])) if found else None


def sampling(config: Config, seed: int | None) -> SamplingParams:
    return SamplingParams(max_new_tokens=config.max_new_tokens, temperature=config.temperature, seed=seed)


def run(config: Config, ctx) -> dict[str, str]:
    """Input: `model` (usually an SFT checkpoint), and optionally `episodes`: a store of scored episodes
    (e.g. web episodes with judge rewards) to make one update on instead of playing GeneralPoints.
    Outputs: `checkpoint` (the last) and `checkpoints` (log)."""
    from agent_rl.backends.transformers_backend import TransformersBackend

    init = ctx.resolve("model")
    last = _last_checkpoint(ctx.stage_dir) if ctx.resume else None
    trainer = RLTrainer(str(last or init), config, ctx.seed)
    state = trainer.load_state(last) if last else {"iteration": 0, "tokens": 0}
    if last:
        log.info("resuming RL from %s (iteration %d)", last, state["iteration"])
    init_rel = (
        ctx.rel(Path(init))
        if Path(init).exists() and Path(init).resolve().is_relative_to(ctx.run_dir.resolve())
        else init
    )
    ckpt_log = CheckpointLog(ctx.stage_dir / "checkpoints.json", init=init_rel, parameters=trainer.n_params)
    rng = random.Random(ctx.seed)
    if "episodes" in ctx.artifacts:  # stored episodes with their rewards (e.g. judged web episodes)
        metrics = learn_from_store(trainer, ctx.path("episodes"), rng)
        ctx.logger.log({"iteration": 1, **metrics})
        folder = ctx.stage_dir / "checkpoint-1"
        trainer.save(folder, 1, {"tokens": metrics["tokens"]})
        flops = 6.0 * trainer.n_params * metrics["tokens"]  # the rollouts were counted where they ran
        ckpt_log.add(1, ctx.rel(folder), metrics["tokens"], flops)
        return {"checkpoint": ctx.rel(folder), "checkpoints": ctx.rel(ctx.stage_dir / "checkpoints.json")}
    backend = TransformersBackend(trainer.model, trainer.tokenizer, trainer.processor, max_batch_size=64)
    tokens = state["tokens"]
    n = trainer.n_params
    episodes_dir = ctx.stage_dir / "episodes"
    progress = tqdm(
        range(state["iteration"], config.iterations),
        desc="RL",
        initial=state["iteration"],
        total=config.iterations,
    )
    for it in progress:
        trainer.set_lr(it)
        hands = iteration_hands(config, it, ctx.seed)
        store = episodes_dir / f"iter-{it:04d}"  # an interrupted iteration reuses its finished episodes
        metrics = rl_iteration(
            trainer, backend, hands, sampling(config, ctx.seed * 100_003 + it), rng, store, f"it{it}"
        )
        tokens += metrics["tokens"]
        ctx.logger.log({"iteration": it + 1, **metrics}, key=("iteration",))
        progress.set_postfix(reward=f"{metrics['mean_reward']:.2f}", success=f"{metrics['success_rate']:.2f}")
        if (it + 1) % config.save_every == 0 or it + 1 == config.iterations:
            folder = ctx.stage_dir / f"checkpoint-{it + 1}"
            trainer.save(folder, it + 1, {"tokens": tokens})
            flops = 6.0 * n * tokens + 2.0 * n * config.compute_lambda * tokens
            ckpt_log.add(it + 1, ctx.rel(folder), tokens, flops)
    final = _last_checkpoint(ctx.stage_dir)
    return {"checkpoint": ctx.rel(final), "checkpoints": ctx.rel(ctx.stage_dir / "checkpoints.json")}
