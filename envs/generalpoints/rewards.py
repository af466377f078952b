"""The reward table of one verification step, and the study's grading of a formula against a hand.

The grading order (specs/generalpoints.md), which a compatible reward must follow case by case:
1. Illegal characters (anything but ASCII digits and `+ - * / ( )`, spaces included): -3, grading stops. An
   unreadable answer is graded as the formula text "None", so it lands here.
2. Token order, left to right: a number must follow nothing, an operator or `(`; an operator a number or `)`;
   `(` nothing, an operator or `(`; `)` a number or `)`, and it must close an open `(`. Each token that breaks
   its rule costs -3 (once, even when it breaks both of `)`'s conditions). An unclosed `(` costs nothing here.
3. Number use: -2 for a number on no card, else -2 for a number used more often than the cards give; then
   another -2 when some card number is unused.
4. Only when nothing was charged: a formula that evaluates exactly to the target earns +5 (success); one that
   cannot be evaluated yet (a trailing operator, an unclosed `(`, a division by zero) and starts some solution
   string earns +1.
5. Otherwise the tokens are walked, growing a prefix: at the first one where no solution starts with the
   prefix, -1, and the feedback names the longest prefix that matched. When every prefix matched: 0.

Solution strings are the solver's (no spaces), compared exactly. Values are exact fractions, which differ from
the study's floats only where those miss an exact target. Every step is linear in the formula's length, and
feedback quotes at most `FEEDBACK_CHARS` characters of it.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

import numpy as np

from envs.generalpoints.formula import DIGIT_RUN, ILLEGAL, evaluate, number_value, tokens
from envs.generalpoints.rational import to_text

# Formulas whose every token follows its order rule (step 2), unmatched ')' aside; e.g. "(1+6)*3+", "((".
_WELL_ORDERED = re.compile(r"\(*(?:[0-9]+\)*(?:[-+*/]\(*[0-9]+\)*)*(?:[-+*/]\(*)?)?")
_PAREN_STEP = {"(": 1, ")": -1}
FEEDBACK_CHARS = 120  # the most of the model's formula that the feedback quotes
_LISTED = 8  # the most illegal characters, tokens or numbers that one feedback sentence lists


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


# How a graded attempt ended: "matched" earns 0 (every prefix matched), "penalty" is grammar or number use.
# The env adds "recognition" (GP-VL cards misread) and the ungraded "exhausted".
OUTCOMES = ("success", "prefix", "wrong_value", "matched", "illegal", "penalty", "recognition")


@dataclass(frozen=True, slots=True)
class Grade:
    reward: float
    feedback: str
    success: bool
    outcome: str  # one of OUTCOMES


def quote(text: str, limit: int = FEEDBACK_CHARS) -> str:
    """`text` for a feedback sentence: cut to `limit` characters, saying how long it really was."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def grammar_violations(formula: str) -> list[int]:
    """Token indices of the tokens that break their order rule, left to right (step 2).

    `formula` has legal characters only. Vectorised over one code per token, since a reply can hold a million
    tokens: a `)` is unmatched where the running count of `(` minus `)` falls below its earlier minimum.
    """
    if (
        _WELL_ORDERED.fullmatch(formula)
        and min(accumulate(_PAREN_STEP[c] for c in _parens(formula)), default=0) >= 0
    ):
        return []  # the common case, answered without building arrays
    chars = np.frombuffer(formula.encode("ascii"), dtype=np.uint8)
    if not len(chars):
        return []
    digit = (chars >= ord("0")) & (chars <= ord("9"))
    first_of_token = ~(digit & np.concatenate(([False], digit[:-1])))
    codes = np.where(digit, ord("n"), chars)[first_of_token]  # one code per token: 'n' for a number
    previous = np.concatenate(([0], codes[:-1]))
    after_operand = (previous == ord("n")) | (previous == ord(")"))
    is_open, is_close = codes == ord("("), codes == ord(")")
    is_operand = codes == ord("n")
    is_operator = ~(is_open | is_close | is_operand)
    depth = np.cumsum(is_open.astype(np.int64) - is_close)
    lowest_before = np.minimum.accumulate(np.concatenate(([0], depth[:-1])))
    unmatched = is_close & (depth < lowest_before)
    bad = ((is_operand | is_open) & after_operand) | (is_operator & ~after_operand)
    bad |= is_close & (~after_operand | unmatched)
    return np.flatnonzero(bad).tolist()


def number_penalties(formula: str, numbers: Sequence[int], rewards: RewardConfig) -> list[tuple[float, str]]:
    """(reward, reason) for the number-use checks of step 3; empty when the numbers are exactly the cards."""
    runs = DIGIT_RUN.findall(formula)
    if len(runs) == len(numbers):  # the common case, without counting
        values = [number_value(run) for run in runs]
        if None not in values and sorted(values) == sorted(numbers):
            return []
    used: Counter = Counter()
    for run, count in Counter(runs).items():
        used[number_value(run)] += count
    cards = Counter(int(n) for n in numbers)
    if used == cards:
        return []
    charges = []
    foreign = [n for n in used if n not in cards]
    overused = used - cards
    if foreign:
        shown = ", ".join(
            "a number too long to be a card" if n is None else str(n) for n in foreign[:_LISTED]
        )
        charges.append((rewards.bad_number, f"it uses {shown}, which no card gives"))
    elif overused:
        charges.append((rewards.bad_number, f"it uses {_listing(overused)} more often than the cards give"))
    unused = cards - used
    if unused:
        charges.append((rewards.unused_number, f"it leaves the card number(s) {_listing(unused)} unused"))
    return charges


def starts_a_solution(prefix: str, solutions: Sequence[str]) -> bool:
    """Whether some solution string starts with `prefix` (`solutions` sorted, as `solve` returns them)."""
    i = bisect_left(solutions, prefix)
    return i < len(solutions) and solutions[i].startswith(prefix)


def grade(
    formula: str | None,
    numbers: Sequence[int],
    solutions: Sequence[str],
    target: int = 24,
    rewards: RewardConfig = RewardConfig(),
) -> Grade:
    """Reward and feedback for one formula; `solutions` must be sorted (as `solve` returns them)."""
    formula = "None" if formula is None else formula
    shown = quote(formula)
    if ILLEGAL.search(formula):
        illegal = list(dict.fromkeys(ILLEGAL.findall(formula)))
        listed = ", ".join(repr(c) for c in illegal[:_LISTED]) + (", ..." if len(illegal) > _LISTED else "")
        reason = f"the formula '{shown}' contains characters other than digits and + - * / ( ): {listed}"
        return Grade(rewards.grammar, reason, False, "illegal")
    reward, reasons = 0.0, []
    bad = grammar_violations(formula)
    if bad:
        reward += rewards.grammar * len(bad)
        kinds = _token_kinds(formula)
        listed = ", ".join(f"{kinds[i]} (token {i + 1})" for i in bad[:_LISTED])
        more = f" and {len(bad) - _LISTED} more" if len(bad) > _LISTED else ""
        reasons.append(f"{len(bad)} token(s) are out of place: {listed}{more}")
    for charge, reason in number_penalties(formula, numbers, rewards):
        reward += charge
        reasons.append(reason)
    if reasons:
        return Grade(reward, "; ".join(reasons), False, "penalty")
    parts = tokens(formula)
    value = evaluate(parts)
    if value == (target, 1):
        return Grade(rewards.success, f"{shown} = {target}", True, "success")
    if value is None and starts_a_solution(formula, solutions):
        return Grade(rewards.prefix, f"{shown} is only the start of a solution; finish it", False, "prefix")
    miss = "it cannot be evaluated" if value is None else f"it evaluates to {to_text(value)}, not {target}"
    longest = max(map(len, solutions), default=0)
    prefix = ""
    for token in parts:
        grown = prefix + token
        if len(grown) > longest or not starts_a_solution(grown, solutions):
            if prefix:
                why = (
                    f"'{quote(prefix)}' is partially correct but the full formula does not match any solution"
                )
            else:
                why = "the formula does not match any solution"
            return Grade(rewards.wrong_value, f"{miss}; {why}", False, "wrong_value")
        prefix = grown
    return Grade(0.0, f"{miss}, though every start of it matches a solution", False, "matched")


def _parens(formula: str) -> str:
    return formula.translate(_NOT_PARENS)


_NOT_PARENS = str.maketrans("", "", "0123456789+-*/")


def _token_kinds(formula: str) -> list[str]:
    return ["a number" if token[0].isdigit() else f"'{token}'" for token in tokens(formula)]


def _listing(counts: Counter) -> str:
    """ "1, 6 (3 times)": each number once, with its count when above one (a reply may repeat one a million times)."""
    return ", ".join(str(n) if k == 1 else f"{n} ({k:,} times)" for n, k in sorted(counts.items()))
