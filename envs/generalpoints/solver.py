"""Exact solver: every distinct formula over the given numbers that reaches the target.

A formula uses each number once with `+ - * /` and parentheses, evaluated exactly (rationals as reduced
integer pairs, see rational.py).
Formulas are written with the fewest parentheses that keep their value under the usual precedence and
left-to-right reading, e.g. "(1+6)*3+13". Distinct strings count as distinct solutions ("1+2" and "2+1" both).

Sub-results are tabulated once per multiset of numbers (value -> expressions) and cached, and the last
combination looks the matching partner value up instead of trying every pair, so solving all 1,820 hands of
ranks 1..13 takes a few seconds and a cached hand costs a dictionary lookup.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cache, lru_cache

from envs.generalpoints.rational import Rational, add, div, mul, sub

Expr = tuple[str, int]  # (text, precedence of its outermost operator; 3 for a bare number)
Table = dict[Rational, frozenset[Expr]]
PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


def join(left: Expr, op: str, right: Expr) -> Expr:
    """`left op right` with the parentheses the precedence needs (a right operand of - or / keeps its own)."""
    (left_text, left_prec), (right_text, right_prec) = left, right
    prec = PRECEDENCE[op]
    if left_prec < prec:
        left_text = f"({left_text})"
    if right_prec < prec or (right_prec == prec and op in "-/"):
        right_text = f"({right_text})"
    return f"{left_text}{op}{right_text}", prec


def _splits(numbers: tuple[int, ...]) -> set[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Ordered splits of a sorted multiset into two non-empty sorted parts (duplicates collapsed)."""
    n = len(numbers)
    out = set()
    for mask in range(1, (1 << n) - 1):
        left = tuple(numbers[i] for i in range(n) if mask >> i & 1)
        right = tuple(numbers[i] for i in range(n) if not mask >> i & 1)
        out.add((left, right))
    return out


@cache
def _table(numbers: tuple[int, ...]) -> Table:
    """Every value reachable from the sorted multiset `numbers`, with all expressions that reach it."""
    if len(numbers) == 1:
        return {(numbers[0], 1): frozenset({(str(numbers[0]), 3)})}
    table: dict[Rational, set[Expr]] = {}
    for left, right in _splits(numbers):
        for va, ea in _table(left).items():
            for vb, eb in _table(right).items():
                results = [("+", add(va, vb)), ("-", sub(va, vb)), ("*", mul(va, vb))]
                if vb[0]:
                    results.append(("/", div(va, vb)))
                for op, value in results:
                    bucket = table.setdefault(value, set())
                    bucket.update(join(x, op, y) for x in ea for y in eb)
    return {value: frozenset(exprs) for value, exprs in table.items()}


def _partners(va: Rational, target: Rational, table: Table) -> Iterator[tuple[str, frozenset[Expr]]]:
    """(op, expressions b) with `va op b == target`, found by lookup of the one value b must have."""
    wanted = [("+", sub(target, va)), ("-", sub(va, target))]
    if va[0]:
        wanted.append(("*", div(target, va)))
    if target[0]:
        wanted.append(("/", div(va, target)))
    for op, vb in wanted:
        if vb in table and not (op == "/" and not vb[0]):
            yield op, table[vb]
    if not target[0] and not va[0]:  # 0 * b and 0 / b reach a target of 0 for any b
        for vb, eb in table.items():
            yield "*", eb
            if vb[0]:
                yield "/", eb


@lru_cache(maxsize=65536)
def _solve_sorted(numbers: tuple[int, ...], target: int) -> tuple[str, ...]:
    goal = (target, 1)
    if len(numbers) == 1:
        return (str(numbers[0]),) if numbers[0] == target else ()
    found: set[str] = set()
    for left, right in _splits(numbers):
        right_table = _table(right)
        for va, ea in _table(left).items():
            for op, eb in _partners(va, goal, right_table):
                found.update(join(x, op, y)[0] for x in ea for y in eb)
    return tuple(sorted(found))


def solve(numbers: Sequence[int], target: int = 24) -> list[str]:
    """All distinct solution strings (without "=target") for these numbers; empty when the hand is unsolvable."""
    if not numbers:
        return []
    return list(_solve_sorted(tuple(sorted(int(n) for n in numbers)), int(target)))


def is_solvable(numbers: Sequence[int], target: int = 24) -> bool:
    return bool(numbers) and bool(_solve_sorted(tuple(sorted(int(n) for n in numbers)), int(target)))
