"""On-policy RL on GeneralPoints: each iteration deals hands, plays a group of episodes per hand with the
current policy through the rollout runner (every verification attempt is a turn with its own reward), and
makes one RL update on them (`train.rl`). Finished episodes live in each iteration's episode store.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm import tqdm

from agent_rl.backends.base import SamplingParams
from agent_rl.runlog import MetricsLogger
from agent_rl.train.episodes import Hand, deal_hands, play
from agent_rl.train.learner import CheckpointLog
from agent_rl.train.rl import RLConfig, RLTrainer, learn_from


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


def iteration_hands(config: RLConfig, iteration: int, seed: int) -> list[Hand]:
    """Fresh hands each iteration, or the next slice of a fixed pool (`hand_pool`)."""
    if config.hand_pool is None:
        start = config.hand_seed + 10_000 * seed + iteration * config.hands_per_iter
        return deal_hands(config.env, config.hands_per_iter, seed=start)
    pool = deal_hands(config.env, config.hand_pool, seed=config.hand_seed)
    first = iteration * config.hands_per_iter
    return [pool[(first + i) % len(pool)] for i in range(config.hands_per_iter)]


def sampling(config: RLConfig, seed: int | None) -> SamplingParams:
    return SamplingParams(max_new_tokens=config.max_new_tokens, temperature=config.temperature, seed=seed)


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
    rng = random.Random(seed)
    progress = tqdm(
        range(state["iteration"], config.iterations),
        desc="RL",
        initial=state["iteration"],
        total=config.iterations,
    )
    for it in progress:
        trainer.set_lr(it)
        hands = iteration_hands(config, it, seed)
        store = stage_dir / "episodes" / f"iter-{it:04d}"  # an interrupted iteration reuses its episodes
        params = sampling(config, seed * 100_003 + it)
        metrics = rl_iteration(trainer, backend, hands, params, rng, store, f"it{it}")
        tokens += metrics["tokens"]
        logger.log({"iteration": it + 1, **metrics}, key=("iteration",))
        progress.set_postfix(reward=f"{metrics['mean_reward']:.2f}", success=f"{metrics['success_rate']:.2f}")
        if (it + 1) % config.save_every == 0 or it + 1 == config.iterations:
            folder = stage_dir / f"checkpoint-{it + 1}"
            trainer.save(folder, it + 1, {"tokens": tokens})
            flops = 6.0 * n * tokens + 2.0 * n * config.compute_lambda * tokens
            checkpoints.add(it + 1, rel(folder), tokens, flops)
