"""The solver against brute force: every hand of ranks 1..13, and exact solution sets on a sample."""

import itertools
from fractions import Fraction

import numpy as np

from envs.generalpoints import formula_value, is_solvable, solve
from envs.generalpoints.formula import number_value, tokens

OPS = "+-*/"
SHAPES = ("((a?b)?c)?d", "(a?(b?c))?d", "(a?b)?(c?d)", "a?((b?c)?d)", "a?(b?(c?d))")


def _apply(op, x, y):
    """Float op on arrays; a division by zero gives NaN, which no later operation turns back into a number."""
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y == 0, np.nan, x / np.where(y == 0, 1, y))


def _brute_force_solvable(target=24):
    """Solvable flag of every ordered 4-tuple of 1..13, trying all 5 tree shapes x 64 operator choices."""
    grid = np.array(list(itertools.product(range(1, 14), repeat=4)), dtype=float)
    a, b, c, d = grid.T
    hit = np.zeros(len(grid), dtype=bool)
    for o1, o2, o3 in itertools.product(OPS, repeat=3):
        for value in (
            _apply(o3, _apply(o2, _apply(o1, a, b), c), d),
            _apply(o3, _apply(o1, a, _apply(o2, b, c)), d),
            _apply(o2, _apply(o1, a, b), _apply(o3, c, d)),
            _apply(o1, a, _apply(o3, _apply(o2, b, c), d)),
            _apply(o1, a, _apply(o2, b, _apply(o3, c, d))),
        ):
            hit |= np.abs(value - target) < 1e-6  # exact values differ from 24 by >= 1/13**3 or not at all
    return {tuple(sorted(int(x) for x in row)) for row, ok in zip(grid, hit, strict=True) if ok}


def test_solvable_flag_matches_brute_force_on_all_hands():
    solvable = _brute_force_solvable()
    hands = list(itertools.combinations_with_replacement(range(1, 14), 4))
    assert len(hands) == 1820
    mismatches = [hand for hand in hands if is_solvable(hand) != (hand in solvable)]
    assert mismatches == []
    assert len(solvable) == 1362  # the known count of solvable 24-game hands over ranks 1..13


def _exact_expressions(numbers):
    """(text, precedence, value) of every expression tree over a permutation, written with minimal parentheses."""
    if len(numbers) == 1:
        yield str(numbers[0]), 3, Fraction(numbers[0])
        return
    for cut in range(1, len(numbers)):
        for lt, lp, lv in _exact_expressions(numbers[:cut]):
            for rt, rp, rv in _exact_expressions(numbers[cut:]):
                for op in OPS:
                    if op == "/" and rv == 0:
                        continue
                    prec = 1 if op in "+-" else 2
                    left = f"({lt})" if lp < prec else lt
                    right = f"({rt})" if rp < prec or (rp == prec and op in "-/") else rt
                    value = {"+": lv + rv, "-": lv - rv, "*": lv * rv, "/": lv / rv if rv else None}[op]
                    yield f"{left}{op}{right}", prec, value


def test_solution_strings_equal_exact_brute_force_on_a_sample():
    rng = np.random.default_rng(0)
    sample = [(3, 3, 8, 8), (1, 5, 5, 5), (4, 4, 10, 10), (1, 1, 1, 1), (13, 13, 13, 13), (1, 2, 3, 4)]
    sample += [tuple(int(x) for x in rng.integers(1, 14, size=4)) for _ in range(20)]
    for hand in sample:
        expected = {
            text
            for perm in set(itertools.permutations(hand))
            for text, _, value in _exact_expressions(perm)
            if value == 24
        }
        assert set(solve(hand)) == expected, hand
    assert solve([3, 3, 8, 8]) == ["8/(3-8/3)"]


def test_every_solution_is_a_valid_formula_with_the_hand_numbers():
    for hand in itertools.combinations_with_replacement(range(1, 14), 4):
        for solution in solve(hand):
            assert formula_value(solution) == 24
            assert sorted(number_value(t) for t in tokens(solution) if t.isdigit()) == list(hand)


def test_solve_takes_any_order_and_other_targets():
    assert solve([8, 3, 8, 3]) == solve([3, 3, 8, 8])
    assert solve([1, 2, 3, 4], target=10) and all(
        formula_value(s) == 10 for s in solve([1, 2, 3, 4], target=10)
    )
    assert solve([1, 1, 1, 1]) == [] and not is_solvable([1, 1, 1, 1])
