"""Playing GeneralPoints episodes with a backend: every waiting episode goes into one batched generate call.

Hands are dealt from seeds (`deal_hands`), so an evaluation set is a fixed list of seeds. Each finished
episode is appended to an optional JSONL store at once, so a crash keeps what was finished.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent_rl.backends.base import ChatPrompt, SamplingParams
from agent_rl.core.types import Episode, Turn
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
    backend: Any,
    env: EnvOptions,
    hands: list[Hand],
    params: SamplingParams,
    store: Path | None = None,
    task_info: dict[str, Any] | None = None,
) -> list[Episode]:
    """One episode per hand (repeat a hand for a group), all stepped together; returns them in order."""
    games = [env.make() for _ in hands]
    observations = []
    episodes = []
    for game, hand in zip(games, hands, strict=True):
        obs, info = game.reset(seed=hand.seed, options={"cards": hand.cards, "suits": hand.suits})
        observations.append(obs)
        task = {"cards": hand.cards, "suits": hand.suits, "numbers": info["numbers"], **(task_info or {})}
        episodes.append(Episode(episode_id=uuid.uuid4().hex[:12], task=task, seed=hand.seed))
    active = list(range(len(hands)))
    call = 0
    while active:
        active = _close_exhausted(games, observations, episodes, active, store)
        if not active:
            break
        prompts = [ChatPrompt(observations[i]["messages"], observations[i]["images"]) for i in active]
        seeded = SamplingParams(
            **{**params.__dict__, "seed": None if params.seed is None else params.seed + call}
        )
        generations = backend.generate(prompts, seeded)
        call += 1
        still = []
        for i, generation in zip(active, generations, strict=True):
            messages = observations[i]["messages"]
            obs, reward, terminated, truncated, info = games[i].step(generation.text)
            episodes[i].turns.append(
                Turn(
                    messages=messages,
                    response=generation.text,
                    reward=float(reward),
                    prompt_token_ids=generation.prompt_token_ids,
                    response_token_ids=generation.token_ids,
                    response_logprobs=generation.logprobs,
                    images=observations[i]["images"],
                    info=_lean(info),
                )
            )
            observations[i] = obs
            if terminated or truncated:
                _finish(episodes[i], info, truncated, store)
            else:
                still.append(i)
        active = still
    return episodes


def _close_exhausted(games, observations, episodes, active: list[int], store: Path | None) -> list[int]:
    """Episodes whose attempts are all used take the env's ungraded closing step without a model call."""
    still = []
    for i in active:
        game = games[i]
        if episodes[i].turns and episodes[i].turns[-1].info.get("attempt", 0) >= game.max_attempts:
            messages = observations[i]["messages"]
            obs, reward, _, truncated, info = game.step("")
            episodes[i].turns.append(
                Turn(messages=messages, response="", reward=float(reward), info=_lean(info))
            )
            _finish(episodes[i], info, truncated, store)
        else:
            still.append(i)
    return still


def _lean(info: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in info.items() if k != "solutions"}  # the solver's list is long and recomputable


def _finish(episode: Episode, info: dict[str, Any], truncated: bool, store: Path | None) -> None:
    episode.success = bool(info.get("success"))
    episode.truncated = bool(truncated)
    if store is not None:
        _append(store, episode)


def _append(store: Path, episode: Episode) -> None:
    record = episode.to_dict()
    for turn in record["turns"]:
        turn["images"] = [
            f"<image {i}>" for i, _ in enumerate(turn["images"])
        ]  # images are re-rendered from the task
    store.parent.mkdir(parents=True, exist_ok=True)
    with store.open("a") as f:
        f.write(json.dumps(record) + "\n")


def load_store(store: Path) -> list[Episode]:
    if not store.exists():
        return []
    return [Episode.from_dict(json.loads(line)) for line in store.read_text().splitlines() if line.strip()]
