"""Pretraining text for the tiny model: the general knowledge a real base model brings to GeneralPoints.

A base model such as the study's Llama knows arithmetic, reads a rule it is told and knows the playing cards;
a tiny model trained from nothing knows none of it, so it cannot reach rule-OOD hands (J/Q/K = 11/12/13)
whatever post-training does. These documents teach that knowledge and nothing of the game itself:
- arithmetic: `a op b = c` and three-number expressions with parentheses, numbers 0..`max_number`, exact
  (a division appears only where it is exact);
- reading a stated rule: "Rule: K counts as 13. K + 4 = 17.", with the face cards' values drawn at random from
  1..13 so the rule must be read, not remembered;
- card names: "K is the King, a face card.", ranks, suits and their colours;
- reading the game's own rule sentence (`rule_share` of the lines): "Rule: 'J', 'Q', and 'K' count as '11', '12',
  and '13' respectively, 'A' counts as '1'. Cards: ['K', '5'] count as [13, 5].", either rule at even odds, as a
  base model has read rules of many card games. Cards and numbers only: no target and no formula.

No document holds a GeneralPoints solution: an expression over four numbers is never written with the value
24, so no evaluation hand's solution appears (tests check every line against the evaluation sets).
"""

from __future__ import annotations

import operator
import random
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent_rl.core.bounds import Seed
from agent_rl.train.gp_pretrain_images import PretrainImageConfig, pretrain_image_rows
from envs.generalpoints import LABELS, SUITS, card_values
from envs.generalpoints.prompts import face_rule

FACE_NAMES = {"A": "Ace", "J": "Jack", "Q": "Queen", "K": "King"}
SUIT_COLOURS = {"spades": "black", "clubs": "black", "hearts": "red", "diamonds": "red"}
_OPERATIONS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
_OPS = tuple(_OPERATIONS)
FORBIDDEN_VALUE = 24  # the game's target: no expression over four numbers is written with this value


class PretrainTextConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    documents: int = Field(20_000, ge=1)
    lines_per_document: int = Field(8, ge=1)
    max_number: int = Field(100, ge=13)  # arithmetic goes beyond the cards' 1..13
    rule_share: float = Field(0.0, ge=0.0, le=1.0)  # lines that read the game's rule sentence
    seed: Seed = 0


def _apply(op: str, a: Fraction, b: Fraction) -> Fraction | None:
    """`a op b` exactly; None for a division by zero."""
    return None if op == "/" and not b else _OPERATIONS[op](a, b)


def _show(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def _binary_fact(rng: random.Random, high: int) -> str:
    op = rng.choice(_OPS)
    a, b = rng.randint(0, high), rng.randint(0, high)
    if op == "/":  # exact divisions only: a multiple of b by b
        b = rng.randint(1, 13)
        a = b * rng.randint(0, high // b)
    value = _apply(op, Fraction(a), Fraction(b))
    return f"{a} {op} {b} = {_show(value)}"


def _expression_fact(rng: random.Random, high: int, operands: int) -> str | None:
    """`(a op b) op c`-style facts, fully parenthesised; None when one divides by zero or when it is an
    expression over four numbers worth 24 (a GeneralPoints solution)."""
    numbers = [rng.randint(1, min(high, 13) if operands == 4 else high) for _ in range(operands)]
    text, value = str(numbers[0]), Fraction(numbers[0])
    for n in numbers[1:]:
        op = rng.choice(_OPS)
        inner = f"({text})" if " " in text else text  # a compound operand keeps its parentheses
        if rng.random() < 0.5:
            value, text = _apply(op, value, Fraction(n)), f"{inner} {op} {n}"
        else:
            value, text = _apply(op, Fraction(n), value), f"{n} {op} {inner}"
        if value is None:
            return None
    if operands == 4 and value == FORBIDDEN_VALUE:
        return None
    return f"{text} = {_show(value)}"


def _rule_fact(rng: random.Random) -> str:
    """A stated value for a face card, then arithmetic that uses it."""
    label = rng.choice(("J", "Q", "K", "A"))
    value = 1 if label == "A" and rng.random() < 0.7 else rng.randint(1, 13)
    other = rng.randint(1, 13)
    op = rng.choice(("+", "-", "*"))
    result = _apply(op, Fraction(value), Fraction(other))
    phrasing = rng.choice(
        (
            "Rule: {l} counts as {v}. {l} {o} {n} = {r}.",
            "If {l} counts as {v}, then {l} {o} {n} is {r}.",
            "{name} ({l}) is worth {v} here, so {l} {o} {n} = {r}.",
        )
    )
    return phrasing.format(l=label, v=value, o=op, n=other, r=_show(result), name=FACE_NAMES[label])


def _card_fact(rng: random.Random) -> str:
    label = rng.choice(LABELS)
    suit = rng.choice(SUITS)
    if label in FACE_NAMES:
        kind = "the card of rank 1" if label == "A" else "a face card"
        return f"{label} is the {FACE_NAMES[label]}, {kind}. The {FACE_NAMES[label]} of {suit} is {SUIT_COLOURS[suit]}."
    return f"The card {label} of {suit} shows the number {label} and is {SUIT_COLOURS[suit]}."


def _game_rule_fact(rng: random.Random) -> str:
    """The game's rule sentence, either rule, and what a few cards count as under it."""
    as_10 = rng.random() < 0.5
    cards = [rng.choice(LABELS) for _ in range(rng.randint(1, 4))]
    return (
        f"Rule: {face_rule(as_10)}, 'A' counts as '1'. Cards: {cards!r} count as {card_values(cards, as_10)}."
    )


def pretrain_documents(config: PretrainTextConfig) -> list[str]:
    """`config.documents` short documents, each a few lines of mixed facts; reproducible from the seed."""
    rng = random.Random(config.seed)
    documents = []
    for _ in range(config.documents):
        lines: list[str] = []
        while len(lines) < config.lines_per_document:
            if config.rule_share and rng.random() < config.rule_share:
                lines.append(_game_rule_fact(rng))
                continue
            kind = rng.random()
            if kind < 0.35:
                line: str | None = _binary_fact(rng, config.max_number)
            elif kind < 0.6:
                line = _expression_fact(rng, config.max_number, rng.choice((3, 3, 4)))
            elif kind < 0.85:
                line = _rule_fact(rng)
            else:
                line = _card_fact(rng)
            if line is not None:
                lines.append(line)
        documents.append("\n".join(lines))
    return documents


def build_pretrain_dataset(
    config: PretrainTextConfig | PretrainImageConfig,
    out_dir: Path,
    resize: Callable[[Any], Any] | None = None,
):
    """The pretraining rows as a `datasets.Dataset`, saved to `out_dir` and reused from there when it is
    already made: documents in one `text` column (causal LM on every token), or the card images' prompt,
    completion and images columns (see `gp_pretrain_images`; `resize` stores them at the model's size)."""
    from datasets import Dataset, load_from_disk

    if (out_dir / "dataset_info.json").exists():
        return load_from_disk(str(out_dir))
    if isinstance(config, PretrainImageConfig):
        dataset = Dataset.from_list(pretrain_image_rows(config, resize))
    else:
        dataset = Dataset.from_dict({"text": pretrain_documents(config)})
    dataset.save_to_disk(str(out_dir))
    return dataset
