"""The one model of GeneralPoints variants: the study's settings, the hands dealt from them, and their seeds.

Variants (the study's settings):
- `id`: face cards count as 10, black suits (the training distribution);
- `rule_ood`: face cards count as 11/12/13 and every hand holds at least one face card, black suits;
- `visual_ood`: face cards count as 10, red suits (GP-VL only: it differs from `id` in the image alone).

Every list of hands (evaluation sets, SFT data, RL pools) comes from `deal(variant, n, seed, stream)`: one
random stream per (seed, stream, variant), hands drawn from it in order, so `deal(..., n=10)` is the first ten
of `deal(..., n=30)` on every machine. The `eval` and `train` streams never share a draw, so no seed can make
an evaluation set leak into a training order. `SEEDS` is the one table of default seeds per use.

Difficulty comes from the number of distinct solution strings `n`: `difficulty = 1 / (1 + log2 n)` (1.0 for a
single solution, lower is easier) and a level: hard for n <= 8, medium for n <= 24, easy above; these cut the
ID hands at about their 25th and 67th percentiles.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from envs.generalpoints.cards import card_values, deal_hand, deal_suits
from envs.generalpoints.solver import solve

VariantName = Literal["id", "rule_ood", "visual_ood"]
STREAMS = {"eval": 0, "train": 1}
EVAL_EPISODES = 234  # hands per evaluation set, as in the study
# Default seeds per use. Evaluation draws from the "eval" stream, everything else from "train"; the training
# uses keep their own seeds so that SFT data, RL pools and TRL's prompts are different hands.
SEEDS = {"eval": 0, "sft": 1_000_000, "rl": 2_000_000, "grpo": 3_000_000, "bench": 1}


@dataclass(frozen=True)
class Variant:
    name: str
    face_cards_as_10: bool
    suits: str  # "black" | "red" | "mixed"
    force_face_card: bool

    def env_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `GeneralPointsEnv` that play this variant."""
        return {
            "face_cards_as_10": self.face_cards_as_10,
            "suits": self.suits,
            "force_face_card": self.force_face_card,
        }


VARIANTS: dict[str, Variant] = {
    "id": Variant("id", face_cards_as_10=True, suits="black", force_face_card=False),
    "rule_ood": Variant("rule_ood", face_cards_as_10=False, suits="black", force_face_card=True),
    "visual_ood": Variant("visual_ood", face_cards_as_10=True, suits="red", force_face_card=False),
}


def variant(name: str) -> Variant:
    if name not in VARIANTS:
        raise ValueError(f"unknown variant {name!r}; choose one of: {', '.join(VARIANTS)}")
    return VARIANTS[name]


@dataclass(frozen=True)
class Hand:
    """One dealt hand; `options()` fixes it in `GeneralPointsEnv.reset`."""

    cards: tuple[str, ...]
    suits: tuple[str, ...]
    numbers: tuple[int, ...]
    n_solutions: int
    difficulty: float
    level: str
    variant: str
    index: int  # position in its dealt list
    seed: int  # the list's seed
    stream: str  # "eval" or "train"

    def options(self) -> dict[str, list[str]]:
        return {"cards": list(self.cards), "suits": list(self.suits)}

    @property
    def key(self) -> str:
        """A name unique to this hand among all dealt lists, e.g. 'id-train-2000000-00012'."""
        return f"{self.variant}-{self.stream}-{self.seed}-{self.index:05d}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Hand:
        data = dict(data)
        for key in ("cards", "suits", "numbers"):
            data[key] = tuple(data[key])
        return cls(**data)


def difficulty_of(n_solutions: int) -> tuple[float, str]:
    """(difficulty in (0, 1], level) from the number of distinct solutions of a solvable hand."""
    if n_solutions < 1:
        raise ValueError("an unsolvable hand has no difficulty")
    level = "hard" if n_solutions <= 8 else "medium" if n_solutions <= 24 else "easy"
    return 1.0 / (1.0 + math.log2(n_solutions)), level


def deal(name: str, n: int, seed: int = 0, stream: str = "train", target: int = 24) -> list[Hand]:
    """`n` random solvable hands of a variant, reproducible from (seed, stream, variant)."""
    settings = variant(name)
    if n < 0:
        raise ValueError(f"the number of hands must be >= 0, got {n}")
    if stream not in STREAMS:
        raise ValueError(f"unknown stream {stream!r}; choose one of: {', '.join(STREAMS)}")
    rng = np.random.default_rng([seed, STREAMS[stream], list(VARIANTS).index(name)])
    hands = []
    for index in range(n):
        cards = deal_hand(rng, settings.face_cards_as_10, settings.force_face_card, target)
        suits = deal_suits(rng, settings.suits)
        numbers = card_values(cards, settings.face_cards_as_10)
        n_solutions = len(solve(numbers, target))
        difficulty, level = difficulty_of(n_solutions)
        hands.append(
            Hand(
                tuple(cards),
                tuple(suits),
                tuple(numbers),
                n_solutions,
                difficulty,
                level,
                name,
                index,
                seed,
                stream,
            )
        )
    return hands


def evaluation_hands(name: str = "id", n: int = EVAL_EPISODES, seed: int = SEEDS["eval"], target: int = 24):
    """The fixed evaluation set of a variant (234 hands by default, as in the study)."""
    return deal(name, n, seed, stream="eval", target=target)


class EnvOptions(BaseModel):
    """Which game a stage plays: the variant, the modality, attempts per episode and the target."""

    model_config = ConfigDict(extra="forbid")

    variant: VariantName = "id"
    modality: Literal["text", "vision"] = "text"
    max_attempts: int = Field(5, ge=1)
    target: int = 24

    def make(self):
        from envs.generalpoints.env import GeneralPointsEnv

        return GeneralPointsEnv(
            modality=self.modality,
            max_attempts=self.max_attempts,
            target=self.target,
            **variant(self.variant).env_kwargs(),
        )

    def deal(self, n: int, seed: int, stream: str = "train") -> list[Hand]:
        return deal(self.variant, n, seed, stream, self.target)
