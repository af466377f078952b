"""GeneralPoints episodes for training, played by the rollout runner (one batched backend call per round).

Hands come from the one dealer of envs/generalpoints/variants.py (the "train" stream, never an evaluation
set). Episodes go to an append-only `EpisodeStore`, so a crash keeps what finished and a rerun into the same
store plays only what is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent_rl.backends.base import SamplingParams
from agent_rl.core.types import Episode, Turn
from agent_rl.rollout.runner import EpisodeSpec, run_rollouts
from agent_rl.rollout.store import EpisodeStore
from envs.generalpoints import EnvOptions, Hand


def deal_hands(env: EnvOptions, n: int, seed: int) -> list[Hand]:
    """`n` training hands of the env's variant: the first `n` of the train stream at `seed`."""
    return env.deal(n, seed, stream="train")


def play(
    backend: Any, env: EnvOptions, hands: list[Hand], params: SamplingParams, store_dir: Path, prefix: str
) -> list[Episode]:
    """One episode per entry of `hands` (repeat a hand for a group); returns them in the order of `hands`.

    Episodes already in the store (from an interrupted run) are reused, their images reopened from disk.
    A failed episode gets the env's exhausted penalty as an ungraded closing turn (see `close_exhausted`).
    """
    specs = [
        EpisodeSpec(
            episode_id=f"{prefix}-{i:05d}",
            make_env=env.make,
            seed=hand.index,
            options=hand.options(),
            task={"task_id": hand.key, **hand.options()},
        )
        for i, hand in enumerate(hands)
    ]
    store = EpisodeStore(store_dir)
    stats = run_rollouts(backend, specs, params, store, max_turns=env.max_attempts, progress=False)
    found = {episode.episode_id: episode for episode in stats.episodes}
    if len(found) < len(specs):
        for episode in store.read():
            if episode.episode_id not in found:
                for turn in episode.turns:
                    turn.images = [store.image_path(path) for path in turn.images]
                found[episode.episode_id] = episode
    episodes = [found[spec.episode_id] for spec in specs]
    exhausted = env.make().rewards.exhausted
    for episode in episodes:
        if not episode.success and episode.error is None and len(episode.turns) == env.max_attempts:
            close_exhausted(episode, exhausted)
    return episodes


def close_exhausted(episode: Episode, reward: float) -> None:
    """The env's closing step after the last attempt gives `reward` whatever the action, so it is added
    here instead of spending a generation on it (the stored episode ends at its last graded attempt)."""
    last = episode.turns[-1]
    info = {"attempt": len(episode.turns) + 1, "outcome": "exhausted", "graded": False, "success": False}
    episode.turns.append(Turn(messages=last.messages, response="", reward=float(reward), info=info))
    episode.truncated = True
