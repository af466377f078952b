"""Exact rationals as reduced integer pairs (numerator, denominator > 0).

They are exactly `fractions.Fraction` values, but tuples of ints hash and combine several times faster, which
matters in the solver's tables and in the env's per-step evaluation.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd

Rational = tuple[int, int]


def reduced(n: int, d: int) -> Rational:
    if d < 0:
        n, d = -n, -d
    g = gcd(n, d)
    return n // g, d // g


def add(a: Rational, b: Rational) -> Rational:
    return reduced(a[0] * b[1] + b[0] * a[1], a[1] * b[1])


def sub(a: Rational, b: Rational) -> Rational:
    return reduced(a[0] * b[1] - b[0] * a[1], a[1] * b[1])


def mul(a: Rational, b: Rational) -> Rational:
    return reduced(a[0] * b[0], a[1] * b[1])


def div(a: Rational, b: Rational) -> Rational:
    if not b[0]:
        raise ZeroDivisionError("division by zero")
    return reduced(a[0] * b[1], a[1] * b[0])


def to_fraction(value: Rational) -> Fraction:
    return Fraction(*value)


def to_text(value: Rational) -> str:
    return str(value[0]) if value[1] == 1 else f"{value[0]}/{value[1]}"
