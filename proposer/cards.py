"""Card-hand proposer for GeneralPoints: solvable hands per variant, fixed evaluation sets and a curriculum.

Variants (the study's settings):
- `id`: face cards count as 10, black suits (the training distribution);
- `rule_ood`: face cards count as 11/12/13 and every hand holds at least one face card, black suits;
- `visual_ood`: face cards count as 10, red suits (GP-VL only differs from `id` in the image).

Evaluation sets come from their own random stream (seed, "eval", variant), training hands from another
(seed, "train", variant), so the same seed never makes an evaluation set leak into the training order, and
`evaluation_hands("id", 234, seed=0)` is the same list on every machine and every run.

Difficulty comes from the number of distinct solution strings `n`: `difficulty = 1 / (1 + log2 n)` (1.0 for a
single solution, lower is easier) and a level: hard for n <= 8, medium for n <= 24, easy above; these cut the
ID hands at about their 25th and 67th percentiles.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from envs.generalpoints import card_values, deal_hand, deal_suits, solve


@dataclass(frozen=True)
class Variant:
    face_cards_as_10: bool
    suits: str
    force_face_card: bool

    def env_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `GeneralPointsEnv` that play this variant."""
        return {
            "face_cards_as_10": self.face_cards_as_10,
            "suits": self.suits,
            "force_face_card": self.force_face_card,
        }


VARIANTS: dict[str, Variant] = {
    "id": Variant(face_cards_as_10=True, suits="black", force_face_card=False),
    "rule_ood": Variant(face_cards_as_10=False, suits="black", force_face_card=True),
    "visual_ood": Variant(face_cards_as_10=True, suits="red", force_face_card=False),
}
_STREAMS = {"eval": 0, "train": 1}
EVAL_EPISODES = 234


@dataclass(frozen=True)
class Hand:
    """One proposed hand; `options()` fixes it in `GeneralPointsEnv.reset`."""

    cards: tuple[str, ...]
    suits: tuple[str, ...]
    numbers: tuple[int, ...]
    n_solutions: int
    difficulty: float
    level: str
    variant: str
    index: int  # position in the proposed list, usable as the episode's seed

    def options(self) -> dict[str, list[str]]:
        return {"cards": list(self.cards), "suits": list(self.suits)}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Hand:
        data = dict(data)
        for key in ("cards", "suits", "numbers"):
            data[key] = tuple(data[key])
        return cls(**data)


def variant(name: str) -> Variant:
    if name not in VARIANTS:
        raise ValueError(f"unknown variant {name!r}; choose one of: {', '.join(VARIANTS)}")
    return VARIANTS[name]


def difficulty_of(n_solutions: int) -> tuple[float, str]:
    """(difficulty in (0, 1], level) from the number of distinct solutions of a solvable hand."""
    if n_solutions < 1:
        raise ValueError("an unsolvable hand has no difficulty")
    level = "hard" if n_solutions <= 8 else "medium" if n_solutions <= 24 else "easy"
    return 1.0 / (1.0 + math.log2(n_solutions)), level


def propose_hands(name: str, n: int, seed: int = 0, stream: str = "train", target: int = 24) -> list[Hand]:
    """`n` random solvable hands of a variant, reproducible from (seed, stream, variant)."""
    settings = variant(name)
    if n < 0:
        raise ValueError(f"the number of hands must be >= 0, got {n}")
    rng = np.random.default_rng([seed, _STREAMS[stream], list(VARIANTS).index(name)])
    hands = []
    for index in range(n):
        cards = deal_hand(rng, settings.face_cards_as_10, settings.force_face_card, target)
        suits = deal_suits(rng, settings.suits)
        numbers = card_values(cards, settings.face_cards_as_10)
        n_solutions = len(solve(numbers, target))
        difficulty, level = difficulty_of(n_solutions)
        hands.append(
            Hand(tuple(cards), tuple(suits), tuple(numbers), n_solutions, difficulty, level, name, index)
        )
    return hands


def evaluation_hands(name: str = "id", n: int = EVAL_EPISODES, seed: int = 0, target: int = 24) -> list[Hand]:
    """The fixed evaluation set of a variant (234 hands by default, as in the study)."""
    return propose_hands(name, n, seed, stream="eval", target=target)


def training_hands(name: str = "id", n: int = 1000, seed: int = 0, target: int = 24) -> list[Hand]:
    return propose_hands(name, n, seed, stream="train", target=target)


def curriculum(hands: list[Hand]) -> list[Hand]:
    """The hands from easiest (most solutions) to hardest, ties kept in their proposed order."""
    return sorted(hands, key=lambda hand: hand.difficulty)
