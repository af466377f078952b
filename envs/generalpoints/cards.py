"""Card labels, values and suits, and the dealing of random solvable hands.

Labels are what the prompt shows: "A", "2".."10", "J", "Q", "K". The ace is worth 1. Face cards are worth 10
in distribution (ID) and 11/12/13 under the rule-OOD variant.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from envs.generalpoints.solver import solve

LABELS: tuple[str, ...] = ("A", "2", "3", "4", "5", "6", "7", "8", "9", "10", "J", "Q", "K")
FACE_LABELS: tuple[str, ...] = ("J", "Q", "K")
SUITS: tuple[str, ...] = ("spades", "hearts", "diamonds", "clubs")
RED_SUITS: tuple[str, ...] = ("hearts", "diamonds")
BLACK_SUITS: tuple[str, ...] = ("spades", "clubs")
SUIT_CHOICES: dict[str, tuple[str, ...]] = {"black": BLACK_SUITS, "red": RED_SUITS, "mixed": SUITS}

# Spellings a model (or a user) may write for a label; keys are upper-cased.
_ALIASES: dict[str, str] = {
    **{label: label for label in LABELS},
    "1": "A",
    "ACE": "A",
    "JACK": "J",
    "QUEEN": "Q",
    "KING": "K",
}


def normalise_label(text: object) -> str | None:
    """The canonical label for `text` ("a", "Ace", "1" -> "A"), or None when it names no card."""
    return _ALIASES.get(str(text).strip().upper())


def card_value(label: str, face_cards_as_10: bool = True) -> int:
    """The number a card stands for: A=1, 2..10 as written, J/Q/K = 10 (ID) or 11/12/13 (rule-OOD)."""
    rank = LABELS.index(label) + 1
    return min(rank, 10) if face_cards_as_10 else rank


def card_values(labels: Sequence[str], face_cards_as_10: bool = True) -> list[int]:
    return [card_value(label, face_cards_as_10) for label in labels]


def parse_labels(cards: Sequence[object]) -> list[str]:
    """Canonical labels for a user-given hand of four cards; raises ValueError naming the bad card."""
    if isinstance(cards, str) or len(cards) != 4:
        raise ValueError(f"a hand is a list of 4 card labels such as ['A', '3', 'K', '10'], got {cards!r}")
    labels = [normalise_label(card) for card in cards]
    for card, label in zip(cards, labels, strict=True):
        if label is None:
            raise ValueError(f"unknown card {card!r}; use one of {', '.join(LABELS)}")
    return labels  # type: ignore[return-value]


def parse_suits(suits: Sequence[object]) -> list[str]:
    """Validated suit names for a hand of four cards; raises ValueError naming the bad suit."""
    if isinstance(suits, str) or len(suits) != 4:
        raise ValueError(f"give 4 suits such as ['spades', 'clubs', 'clubs', 'spades'], got {suits!r}")
    names = [str(suit).strip().lower() for suit in suits]
    for name in names:
        if name not in SUITS:
            raise ValueError(f"unknown suit {name!r}; use one of {', '.join(SUITS)}")
    return names


def deal_hand(
    rng: np.random.Generator,
    face_cards_as_10: bool = True,
    force_face_card: bool = False,
    target: int = 24,
) -> list[str]:
    """Random solvable hand: 4 ranks drawn with replacement, redrawn until some formula reaches `target`.

    With `force_face_card` (the study's rule-OOD hands) three ranks are random and one is J, Q or K, shuffled.
    Raises ValueError when no hand is found in 10,000 draws (a target that is out of reach).
    """
    for _ in range(10_000):
        ranks = [int(r) for r in rng.integers(1, 14, size=4)]
        if force_face_card:
            ranks[3] = int(rng.integers(11, 14))
            rng.shuffle(ranks)
        labels = [LABELS[r - 1] for r in ranks]
        if solve(tuple(card_values(labels, face_cards_as_10)), target):
            return labels
    raise ValueError(f"no solvable hand found for target {target}; pick a target four cards can reach")


def deal_suits(rng: np.random.Generator, suits: str = "black") -> list[str]:
    """Four suits drawn from the variant's set: black (ID), red (visual-OOD) or mixed (all four)."""
    choices = SUIT_CHOICES[suits]
    return [choices[int(i)] for i in rng.integers(0, len(choices), size=4)]
