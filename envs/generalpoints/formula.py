"""Reading a model's answer: the forgiving extraction of the study, then a safe scan and exact evaluation.

Model output is untrusted, so nothing here calls `eval`. A formula is tokenised with one regular expression
into numbers, the operators `+ - * /`, parentheses and runs of illegal characters (anything else, spaces and
unicode digits included). The scan records each kind of grammar violation once: illegal characters, bad token
order (two numbers or two operators in a row, an empty pair of parentheses, a leading or trailing operator, an
empty formula) and unmatched parentheses. Only a formula without violations is evaluated, by a tiny
recursive-descent parser over exact rationals (rational.py; no unary minus: the game has no negative cards).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from fractions import Fraction

from envs.generalpoints.rational import Rational, add, div, mul, sub, to_fraction

_TOKEN = re.compile(r"[0-9]+|[-+*/()]|[^-+*/()0-9]+")
_FORMULA = re.compile(r"""["']formula["']\s*:\s*(?:"([^"]*)"|'([^']*)')""")
_CARDS = re.compile(r"""["']cards["']\s*:\s*\[([^\]]*)\]""")
_QUOTED = re.compile(r'"([^"]*)"|\'([^\']*)\'|([^\s,"\']+)')
_OPERATORS = frozenset("+-*/")
MAX_DEPTH = 64  # deeper nesting is refused (a grammar violation) rather than recursed into


@dataclass(frozen=True, slots=True)
class Answer:
    """What could be read from a reply: the formula (cut at the first '=') and the recognised card labels."""

    formula: str | None
    cards: list[str] | None


@dataclass(frozen=True, slots=True)
class Scan:
    tokens: list[str]  # the legal tokens, in order
    numbers: list[int]
    illegal: str  # distinct illegal characters, in order of appearance ("" when none)
    bad_order: bool
    unbalanced: bool
    too_deep: bool

    @property
    def violations(self) -> int:
        return bool(self.illegal) + self.bad_order + self.unbalanced + self.too_deep


def read_answer(text: str) -> Answer:
    """Strict JSON first; otherwise the first `"formula": "..."` (and `"cards": [...]`) found by regex.

    The regex also takes single quotes (`'formula': '...'`), as small models often answer with a Python dict.
    """
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
        formula = next(g for g in match.groups() if g is not None) if match else None
    if not isinstance(cards, list):
        match = _CARDS.search(text)
        cards = (
            [next(g for g in m.groups() if g is not None) for m in _QUOTED.finditer(match.group(1))]
            if match
            else None
        )
    if formula is not None:
        formula = formula.split("=", 1)[0]
    return Answer(formula, [str(card) for card in cards] if cards is not None else None)


def scan(formula: str) -> Scan:
    """Tokenise and check the grammar without evaluating anything."""
    tokens: list[str] = []
    numbers: list[int] = []
    illegal: dict[str, None] = {}
    bad_order = unbalanced = False
    depth = max_depth = 0
    want_operand = True  # at the start and after an operator or '('
    for part in _TOKEN.findall(formula):
        first = part[0]
        if "0" <= first <= "9":
            numbers.append(int(part))
            bad_order |= not want_operand
            want_operand = False
        elif first == "(":
            bad_order |= not want_operand
            depth += 1
            max_depth = max(max_depth, depth)
        elif first == ")":
            bad_order |= want_operand
            depth -= 1
            if depth < 0:
                unbalanced, depth = True, 0
        elif first in _OPERATORS:
            bad_order |= want_operand
            want_operand = True
        else:
            illegal.update(dict.fromkeys(part))
            continue
        tokens.append(part)
    bad_order |= want_operand
    unbalanced |= depth != 0
    return Scan(tokens, numbers, "".join(illegal), bad_order, unbalanced, max_depth > MAX_DEPTH)


def evaluate(tokens: list[str]) -> Rational:
    """Exact value (numerator, denominator) of a grammatical token list; ZeroDivisionError on a division by 0."""
    value, end = _expression(tokens, 0)
    if end != len(tokens):
        raise ValueError("tokens left after the expression")
    return value


def _expression(tokens: list[str], i: int) -> tuple[Rational, int]:
    value, i = _term(tokens, i)
    while i < len(tokens) and tokens[i] in "+-":
        op = tokens[i]
        right, i = _term(tokens, i + 1)
        value = add(value, right) if op == "+" else sub(value, right)
    return value, i


def _term(tokens: list[str], i: int) -> tuple[Rational, int]:
    value, i = _factor(tokens, i)
    while i < len(tokens) and tokens[i] in "*/":
        op = tokens[i]
        right, i = _factor(tokens, i + 1)
        value = mul(value, right) if op == "*" else div(value, right)
    return value, i


def _factor(tokens: list[str], i: int) -> tuple[Rational, int]:
    token = tokens[i]
    if token == "(":
        value, i = _expression(tokens, i + 1)
        if tokens[i] != ")":
            raise ValueError("expected ')'")
        return value, i + 1
    return (int(token), 1), i + 1


def formula_value(formula: str) -> Fraction | None:
    """Exact value of a formula string, or None when it is not grammatical or divides by zero."""
    result = scan(formula)
    if result.violations:
        return None
    try:
        return to_fraction(evaluate(result.tokens))
    except ZeroDivisionError:
        return None
