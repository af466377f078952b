"""The reward table of one verification step, and the grading of a formula against a hand.

Order of checks (the spec's, plus the choices written here):
1. An empty or missing formula counts as one grammar violation (bad token order) and, since it uses no card,
   also gets the unused-card penalty.
2. A formula that is a proper prefix of a known solution string, ends between two tokens of it and is not yet a
   complete formula ("(1+6)*3+") is work in progress: +1, with no penalty for its open parenthesis, trailing
   operator or the cards it has not used yet. A prefix that is already a complete formula ("(1+6)*3") is graded
   like any other formula (here: an unused card).
3. Grammar: -3 for each kind of violation present (illegal characters, bad token order, unmatched parentheses,
   nesting deeper than `formula.MAX_DEPTH`), counted once per kind so a long reply cannot sink without bound.
4. Number use, read from the digit runs even when the grammar is broken: -2 when a number is not on a card or
   is used more often than the cards allow, another -2 when a card number is left unused.
5. Only without penalties is the formula evaluated: the target gives +5 (success); another value, or a division
   by zero, gives -1 and the feedback names the longest prefix that still matches a known solution.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from os.path import commonprefix

from envs.generalpoints.formula import MAX_DEPTH, evaluate, scan
from envs.generalpoints.rational import to_text


@dataclass(frozen=True)
class RewardConfig:
    """Rewards of one step; the defaults are the study's values."""

    success: float = 5.0
    prefix: float = 1.0
    wrong_value: float = -1.0
    bad_number: float = -2.0
    unused_number: float = -2.0
    grammar: float = -3.0
    recognition: float = -1.5
    exhausted: float = -1.0


@dataclass(frozen=True, slots=True)
class Grade:
    reward: float
    feedback: str
    success: bool
    outcome: str  # "success" | "prefix" | "wrong_value" | "penalty" (the env adds "recognition", "exhausted")


def longest_solution_prefix(formula: str, solutions: Sequence[str]) -> str:
    """The longest start of `formula` that is also the start of some solution (`solutions` sorted)."""
    i = bisect_left(solutions, formula)
    neighbours = solutions[max(i - 1, 0) : i + 1]
    return max((commonprefix([formula, s]) for s in neighbours), key=len, default="")


def _is_open_prefix(formula: str, solutions: Sequence[str]) -> bool:
    """True when `formula` is a proper prefix of a solution and stops at a token boundary of it."""
    i = bisect_left(solutions, formula)
    for solution in solutions[i:]:
        if not solution.startswith(formula):
            return False
        if len(solution) > len(formula) and not (formula[-1].isdigit() and solution[len(formula)].isdigit()):
            return True
    return False


def grade(
    formula: str | None,
    numbers: Sequence[int],
    solutions: Sequence[str],
    target: int = 24,
    rewards: RewardConfig = RewardConfig(),
) -> Grade:
    """Reward and feedback for one formula; `solutions` must be sorted (as `solve` returns them)."""
    formula = formula or ""
    result = scan(formula)
    incomplete = (result.bad_order or result.unbalanced) and not result.illegal and formula
    if incomplete and _is_open_prefix(formula, solutions):
        return Grade(rewards.prefix, f"{formula} is only the start of a solution; finish it", False, "prefix")
    reward = 0.0
    reasons: list[str] = []
    if result.illegal:
        shown = ", ".join(repr(c) for c in result.illegal[:10]) + (
            ", ..." if len(result.illegal) > 10 else ""
        )
        reasons.append(f"the formula contains characters other than digits and + - * / ( ): {shown}")
    if result.bad_order:
        reasons.append(
            "no formula was found"
            if not formula
            else "the formula has no numbers or operators"
            if not result.tokens
            else "numbers and operators are out of order"
        )
    if result.unbalanced:
        reasons.append("the parentheses do not match")
    if result.too_deep:
        reasons.append(f"the parentheses are nested deeper than {MAX_DEPTH} levels")
    reward += rewards.grammar * len(reasons)
    if sorted(result.numbers) != sorted(numbers):  # the common case skips the multiset arithmetic
        used, cards = Counter(result.numbers), Counter(numbers)
        extra, unused = used - cards, cards - used
        if extra:
            reward += rewards.bad_number
            reasons.append(f"it uses {_listing(extra)} which the cards do not give (each card is used once)")
        if unused:
            reward += rewards.unused_number
            reasons.append(f"it leaves the card number(s) {_listing(unused)} unused")
    if reasons:
        return Grade(reward, "; ".join(reasons), False, "penalty")
    try:
        value = evaluate(result.tokens)
    except ZeroDivisionError:
        value = None
    if value == (target, 1):
        return Grade(rewards.success, f"{formula} = {target}", True, "success")
    miss = "it divides by zero" if value is None else f"{formula} evaluates to {to_text(value)}, not {target}"
    prefix = longest_solution_prefix(formula, solutions)
    hint = (
        f"the longest start of it that matches a solution is '{prefix}'"
        if prefix
        else "no start of it matches a solution"
    )
    return Grade(rewards.wrong_value, f"{miss}; {hint}", False, "wrong_value")


def _listing(counts: Counter[int]) -> str:
    return ", ".join(str(n) for n in sorted(counts.elements()))
