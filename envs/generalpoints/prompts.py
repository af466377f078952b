"""The prompt of the target-points game and the JSON answer it asks for."""

from __future__ import annotations

import json
from collections.abc import Sequence

FAILURE_PREFIX = "You failed this trial because "


def face_rule(face_cards_as_10: bool) -> str:
    if face_cards_as_10:
        return "'J', 'Q', and 'K' all count as '10'"
    return "'J', 'Q', and 'K' count as '11', '12', and '13' respectively"


def build_prompt(cards: Sequence[str] | None, face_cards_as_10: bool = True, target: int = 24) -> str:
    """The first user turn. `cards=None` is the vision prompt: the cards are in the image."""
    shown = f"Cards: {list(cards)!r}" if cards is not None else "The four cards are shown in the image."
    return (
        f"You are an expert {target} points card game player. You are given four cards.\n"
        f"Rule: {face_rule(face_cards_as_10)}, 'A' counts as '1', and each card must be used exactly once.\n"
        f"Goal: write a formula that equals {target}, using the numbers of the cards and only the characters "
        "'+', '-', '*', '/', '(', ')' and '=' besides the digits, with no spaces.\n"
        f"{shown}\n"
        "Answer with a JSON object of this form:\n"
        "{\n"
        '  "cards": [x, y, z, w], the labels of the four cards,\n'
        '  "number": [a, b, c, d], the numbers the four cards count as,\n'
        f'  "formula": "an equation that equals {target}, e.g. (1+6)*3+13={target}"\n'
        "}"
    )


def format_answer(cards: Sequence[str], numbers: Sequence[int], formula: str, target: int = 24) -> str:
    """The answer the prompt asks for, on one line; `formula` gets "=target" appended unless it has an '='."""
    equation = formula if "=" in formula else f"{formula}={target}"
    return json.dumps({"cards": list(cards), "number": [int(n) for n in numbers], "formula": equation})
