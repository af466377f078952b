"""Reading a model's answer as the study does, then a linear scan and an exact evaluation of its formula.

Model output is untrusted, so nothing here calls `eval`, and every step is linear in the reply's length (no
regular expression that backtracks over the text, no `int()` of an unbounded digit run, no recursion):
- `read_answer`: strict JSON first, else the first `"formula": "..."` (and `"cards": [...]`) by regex; the
  formula is cut at its first `=`. No readable formula is `None` (graded as the text "None").
- `tokens`: a formula without illegal characters as numbers, `+ - * /` and parentheses.
- `number_value`: a digit run's value when it can be a card number, else None (a 5,000-digit run is None).
- `evaluate`: the exact value of a complete formula (a shunting-yard over rationals), None when it cannot be
  evaluated (a trailing operator, an unclosed or stray parenthesis, a division by zero).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from fractions import Fraction

from envs.generalpoints.rational import Rational, add, div, mul, sub, to_fraction

ILLEGAL = re.compile(r"[^0-9+\-*/()]")  # ASCII digits only: spaces, '×' and '١' are all illegal
_TOKEN = re.compile(r"[0-9]+|[+\-*/()]")
DIGIT_RUN = re.compile(r"[0-9]+")
_FORMULA = re.compile(r'"formula"\s*:\s*"([^"]*)"')
_CARDS_OPEN = re.compile(r'"cards"\s*:\s*\[')
_CARD_ITEM = re.compile(r'"([^"]*)"|\'([^\']*)\'|([^\s,"\']+)')
NUMBER_DIGITS = 6  # a digit run longer than this (leading zeros aside) is no card number and is never parsed
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}
_APPLY = {"+": add, "-": sub, "*": mul, "/": div}


@dataclass(frozen=True, slots=True)
class Answer:
    """What could be read from a reply: the formula (cut at the first '=') and the recognised card labels."""

    formula: str | None
    cards: list[str] | None


def read_answer(text: str) -> Answer:
    """Strict JSON first; otherwise the first `"formula": "..."` and `"cards": [...]` found by regex."""
    formula: str | None = None
    cards: object = None
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        payload = None
    if isinstance(payload, dict):
        formula = payload.get("formula") if isinstance(payload.get("formula"), str) else None
        cards = payload.get("cards")
    if formula is None:
        match = _FORMULA.search(text)
        formula = match.group(1) if match else None
    if not isinstance(cards, list):
        cards = _regex_cards(text)
    if formula is not None:
        formula = formula.split("=", 1)[0]
    return Answer(formula, [str(card) for card in cards] if cards is not None else None)


def _regex_cards(text: str) -> list[str] | None:
    """The items of the first `"cards": [...]`, read up to the first `]` after it.

    This is what the regex `"cards"\\s*:\\s*\\[([^\\]]*)\\]` finds, without its quadratic backtracking over a
    reply that repeats `"cards":[` and never closes the list: when the first opening has no `]` after it,
    no later opening has one either.
    """
    match = _CARDS_OPEN.search(text)
    if match is None:
        return None
    end = text.find("]", match.end())
    if end < 0:
        return None
    return [next(g for g in m.groups() if g is not None) for m in _CARD_ITEM.finditer(text, match.end(), end)]


def tokens(formula: str) -> list[str]:
    """Numbers, operators and parentheses in order (illegal characters, if any, are skipped)."""
    return _TOKEN.findall(formula)


def number_value(token: str) -> int | None:
    """The value of a digit run ("007" is 7), or None when it has more than `NUMBER_DIGITS` significant digits."""
    digits = token.lstrip("0") or "0"
    return int(digits) if len(digits) <= NUMBER_DIGITS else None


def evaluate(parts: list[str]) -> Rational | None:
    """Exact value of a token list, or None when it is not a complete formula or divides by zero.

    Precedence as usual, left to right within a level, no unary minus (the game has no negative cards).
    """
    if parts.count("(") != parts.count(")") or not parts or parts[-1] in _PRECEDENCE:
        return None  # an unclosed '(' or a trailing operator: a cheap answer for a million-token reply
    values: list[Rational] = []
    operators: list[str] = []
    want_operand = True

    def reduce_top() -> None:
        right, left = values.pop(), values.pop()
        values.append(_APPLY[operators.pop()](left, right))

    try:
        for token in parts:
            if token == "(":
                if not want_operand:
                    return None
                operators.append(token)
            elif token == ")":
                if want_operand:
                    return None
                while operators and operators[-1] != "(":
                    reduce_top()
                if not operators:
                    return None
                operators.pop()
            elif token in _PRECEDENCE:
                if want_operand:
                    return None
                while operators and operators[-1] != "(" and _PRECEDENCE[operators[-1]] >= _PRECEDENCE[token]:
                    reduce_top()
                operators.append(token)
                want_operand = True
            else:
                if not want_operand:
                    return None
                value = number_value(token)
                if value is None:
                    return None
                values.append((value, 1))
                want_operand = False
        if want_operand or "(" in operators:
            return None
        while operators:
            reduce_top()
    except ZeroDivisionError:
        return None
    return values[0]


def formula_value(formula: str) -> Fraction | None:
    """Exact value of a formula string, or None when it has illegal characters or cannot be evaluated."""
    if ILLEGAL.search(formula):
        return None
    value = evaluate(tokens(formula))
    return None if value is None else to_fraction(value)
