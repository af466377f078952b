"""GeneralPoints episodes for training, played by the rollout runner (one batched backend call per round).

Hands are dealt from seeds (`deal_hands`). Episodes go to an append-only `EpisodeStore`, so a crash keeps
what finished and a rerun into the same store plays only what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent_rl.backends.base import SamplingParams
from agent_rl.core.types import Episode
from agent_rl.rollout.runner import EpisodeSpec, run_rollouts
from agent_rl.rollout.store import EpisodeStore
from agent_rl.train.gp_data import EnvOptions


@dataclass
class Hand:
    seed: int
    cards: list[str]
    suits: list[str]


def deal_hands(env: EnvOptions, n: int, seed: int) -> list[Hand]:
    """`n` random solvable hands of this variant, hand i dealt from seed `seed + i`."""
    game = env.make()
    hands = []
    for i in range(n):
        _, info = game.reset(seed=seed + i)
        hands.append(Hand(seed + i, info["cards"], info["suits"]))
    return hands


def play(
    backend: Any, env: EnvOptions, hands: list[Hand], params: SamplingParams, store_dir: Path, prefix: str
) -> list[Episode]:
    """One episode per entry of `hands` (repeat a hand for a group); returns them in the order of `hands`.

    Episodes already in the store (from an interrupted run) are reused, their images reopened from disk.
    """
    specs = [
        EpisodeSpec(
            episode_id=f"{prefix}-{i:05d}",
            make_env=env.make,
            seed=hand.seed,
            options={"cards": hand.cards, "suits": hand.suits},
            task={"cards": hand.cards, "suits": hand.suits, "hand_seed": hand.seed},
        )
        for i, hand in enumerate(hands)
    ]
    store = EpisodeStore(store_dir)
    stats = run_rollouts(backend, specs, params, store, max_turns=env.max_attempts + 1, progress=False)
    found = {episode.episode_id: episode for episode in stats.episodes}
    if len(found) < len(specs):
        for episode in store.read():
            if episode.episode_id not in found:
                for turn in episode.turns:
                    turn.images = [store.image_path(path) for path in turn.images]
                found[episode.episode_id] = episode
    return [found[spec.episode_id] for spec in specs]
