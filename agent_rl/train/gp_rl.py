"""On-policy RL on GeneralPoints: each iteration deals hands, plays a group of episodes per hand with the
current policy through the rollout runner (every verification attempt is a turn with its own reward), and
makes one RL update on them (`train.rl`). Finished episodes live in each iteration's episode store.

With several processes, each rank plays its own share of the iteration's hands (whole groups, its own
sampling seed) into its own store (`iter-N/rank-R`), so every episode is played and written once; the update
steps in lockstep (`Learner.step`) and the logged metrics cover all ranks.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm import tqdm

from agent_rl.backends.base import SamplingParams
from agent_rl.core.jsonl import read_jsonl
from agent_rl.core.types import Episode
from agent_rl.runlog import MetricsLogger
from agent_rl.train.episodes import Hand, deal_hands, play
from agent_rl.train.learner import CheckpointLog
from agent_rl.train.rl import RLConfig, RLTrainer, learn_from
from envs.generalpoints import OUTCOMES


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
    metrics = learn_from(trainer, episodes, groups, rng) | outcome_shares(episodes)
    metrics["rollout_s"] = rolled - started
    metrics["tokens_per_s"] = metrics["tokens"] / max(1e-9, time.perf_counter() - started)
    return metrics


def outcome_shares(episodes: list[Episode]) -> dict[str, float]:
    """The share of graded attempts that ended each way (`outcome/penalty`, ...), every outcome on every rank:
    shows what RL trades, e.g. a VLM that learns to misread the cards (-1.5) rather than misuse numbers (-4)."""
    graded = [t.info.get("outcome") for e in episodes for t in e.turns if t.info.get("graded", True)]
    return {f"outcome/{name}": graded.count(name) / max(1, len(graded)) for name in OUTCOMES}


def iteration_hands(config: RLConfig, iteration: int, seed: int, rank: int = 0, world: int = 1) -> list[Hand]:
    """Fresh hands each iteration, or the next slice of a fixed pool (`hand_pool`); rank `rank` of `world`
    gets every `world`-th of them."""
    return _all_iteration_hands(config, iteration, seed)[rank::world]


def _all_iteration_hands(config: RLConfig, iteration: int, seed: int) -> list[Hand]:
    if config.hand_pool is None:
        start = config.hand_seed + 10_000 * seed + iteration * config.hands_per_iter
        return deal_hands(config.env, config.hands_per_iter, seed=start)
    pool = deal_hands(config.env, config.hand_pool, seed=config.hand_seed)
    first = iteration * config.hands_per_iter
    return [pool[(first + i) % len(pool)] for i in range(config.hands_per_iter)]


SUMMED = ("tokens", "response_tokens", "turns")  # totals over ranks; every other metric is a mean


def over_ranks(trainer: RLTrainer, metrics: dict[str, float]) -> dict[str, float]:
    """Metrics of all ranks: sums of counts, means of the rest (ranks play equal shares of hands)."""
    if trainer.learner.world == 1:
        return metrics
    out = {}
    for key in sorted(metrics):  # the same order on every rank: each key is one collective
        total = trainer.learner.sum_over_ranks(metrics[key])
        out[key] = total if key in SUMMED else total / trainer.learner.world
    return out


def sampling(config: RLConfig, seed: int | None) -> SamplingParams:
    return SamplingParams(max_new_tokens=config.max_new_tokens, temperature=config.temperature, seed=seed)


def training_hands(logger: MetricsLogger, iteration: int, config: RLConfig) -> dict[str, float]:
    """Success and mean reward on the training hands over the iterations since the previous checkpoint, as
    sampled for training (read back from the stage's metrics, so a resumed stage reports the same)."""
    first = (iteration - 1) // config.save_every * config.save_every  # the previous checkpoint's iteration
    rows = [r for r in read_jsonl(logger.jsonl_path) if first < r.get("iteration", 0) <= iteration]
    if not rows:
        return {}
    return {
        "train_success": sum(r["success_rate"] for r in rows) / len(rows),
        "train_reward": sum(r["mean_reward"] for r in rows) / len(rows),
        "train_temperature": config.temperature,
    }


def train_on_generalpoints(
    trainer: RLTrainer,
    state: dict[str, Any],
    stage_dir: Path,
    checkpoints: CheckpointLog,
    logger: MetricsLogger,
    seed: int,
    rel: Callable[[Path], str],
) -> None:
    """Iterations from `state["iteration"]` to the last: play, learn, and save every `save_every`."""
    from agent_rl.backends.transformers_backend import TransformersBackend

    config = trainer.config
    backend = TransformersBackend(trainer.model, trainer.tokenizer, trainer.processor, max_batch_size=64)
    tokens = state["tokens"]
    n = trainer.n_params
    rank, world = trainer.learner.rank, trainer.learner.world
    main = rank == 0
    progress = tqdm(
        range(state["iteration"], config.iterations),
        desc="RL",
        initial=state["iteration"],
        total=config.iterations,
        disable=not main,
    )
    for it in progress:
        trainer.set_lr(it)
        hands = iteration_hands(config, it, seed, rank, world)
        store = stage_dir / "episodes" / f"iter-{it:04d}"  # an interrupted iteration reuses its episodes
        if world > 1:
            store = store / f"rank-{rank}"
        params = sampling(config, seed * 100_003 + it + 7_919 * rank)
        rng = random.Random(seed * 1_000_003 + it)  # minibatch order: a resumed run continues the same way
        metrics = over_ranks(trainer, rl_iteration(trainer, backend, hands, params, rng, store, f"it{it}"))
        tokens += metrics["tokens"]
        if main:
            logger.log({"iteration": it + 1, **metrics}, key=("iteration",))
        progress.set_postfix(reward=f"{metrics['mean_reward']:.2f}", success=f"{metrics['success_rate']:.2f}")
        if (it + 1) % config.save_every == 0 or it + 1 == config.iterations:
            folder = stage_dir / f"checkpoint-{it + 1}"
            trainer.save(folder, it + 1, {"tokens": tokens})
            flops = 6.0 * n * tokens + 2.0 * n * config.compute_lambda * tokens
            if main:
                checkpoints.add(it + 1, rel(folder), tokens, flops, **training_hands(logger, it + 1, config))
