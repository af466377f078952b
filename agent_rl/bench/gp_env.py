"""GeneralPoints verification speed: env steps per second on one thread, text and vision.

Each episode replays a fixed mix of replies that reaches every branch of the grader: free text without a
formula, a formula with spaces, a wrong value, a prefix of a solution and finally a correct answer (which ends
the episode). Apart, one step per hostile reply (`hostile_replies`: a megabyte of each kind of bad text) is
timed, and the worst is reported. Only `step` is timed; `reset` (dealing, rendering) is timed apart. Rates are per second of this
thread's CPU time (`time.thread_time`), i.e. what one core does, since wall time on a shared machine mostly
measures the neighbours; the wall-clock text rate is reported beside it. Two comparisons come from the same run: a naive verifier that finds the hand's solutions by brute force at every step, as an env without a
cached solver would, and the raw `json.loads` of the same replies (the floor any JSON answer pays).
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from fractions import Fraction

from envs.generalpoints import (
    SEEDS,
    GeneralPointsEnv,
    Hand,
    evaluation_hands,
    format_answer,
    formula_value,
    read_answer,
)
from envs.generalpoints.rewards import grade
from envs.generalpoints.solver import _solve_sorted, _table, join

TARGET_STEPS_PER_S = 20_000
_clock = time.thread_time


def _replies(hand: Hand, solution: str) -> list[str]:
    """The replies of one episode, from no formula at all to the correct answer."""
    cut = next(i for i, c in enumerate(solution) if c in "+-*/")
    swaps = (solution[:cut] + op + solution[cut + 1 :] for op in "+-*/")
    wrong = [swap for swap in swaps if formula_value(swap) != 24][
        :1
    ]  # the first operator swapped, off target
    return [
        "I think the answer is 24 but I am not sure how to write it.",
        format_answer(hand.cards, hand.numbers, " ".join(solution)),
        *(format_answer(hand.cards, hand.numbers, formula) for formula in wrong),
        format_answer(hand.cards, hand.numbers, solution[: cut + 1]),
        format_answer(hand.cards, hand.numbers, solution),
    ]


def hostile_replies() -> dict[str, str]:
    """Replies a hostile user (or a runaway model) may send, each about a megabyte at most, for the hand
    A 6 3 K (1, 6, 3, 10): unbounded numbers, a regex-backtracking bait, and floods of every token kind."""
    cards, numbers = ["A", "6", "3", "K"], [1, 6, 3, 10]
    return {
        "5,000 digits": format_answer(cards, numbers, "9" * 5000 + "*1*6*3*10"),
        "5,000 leading zeros": format_answer(cards, numbers, "0" * 5000 + "10*3-6*1"),
        "cards regex 300 KB": '"cards":[' * (300_000 // 9),
        "cards regex 1 MB": '"cards":[' * (1_000_000 // 9),
        "1 MB formula": '{"formula": "' + "1+" * 500_000 + '1"}',
        "1 MB of parentheses": '{"formula": "' + "(" * 1_000_000 + '10*3-6*1"}',
        "1 MB of bad tokens": '{"formula": "' + "+" * 1_000_000 + '"}',
        "1 MB of numbers": '"formula": "' + "123456+" * 150_000 + '1"',
        "1 MB illegal": '"formula": "' + "\u00d7" * 1_000_000 + '"',
        "1 MB of cards": '{"cards": [' + '"K", ' * 200_000 + '"A"], "formula": "10*3-6*1"}',
        "deep JSON": "[" * 100_000,
    }


def _time_hostile(modality: str) -> dict[str, float]:
    """Seconds of one step per hostile reply, on a fresh episode each."""
    env = GeneralPointsEnv(modality=modality)
    seconds = {}
    for name, reply in hostile_replies().items():
        env.reset(options={"cards": ["A", "6", "3", "K"]})
        started = _clock()
        env.step(reply)
        seconds[name] = round(_clock() - started, 4)
    return seconds


def _time_env(env: GeneralPointsEnv, hands: list[Hand], clock=_clock) -> tuple[float, float, int]:
    """(seconds in step, seconds in reset, steps) over one episode per hand."""
    step_s = reset_s = 0.0
    steps = 0
    for hand in hands:
        started = clock()
        _, info = env.reset(seed=hand.index, options=hand.options())
        reset_s += clock() - started
        replies = _replies(hand, info["solutions"][0])
        started = clock()
        for reply in replies:
            env.step(reply)
        step_s += clock() - started
        steps += len(replies)
    return step_s, reset_s, steps


def _naive_solutions(numbers: tuple[int, ...], target: int = 24) -> list[str]:
    """Every permutation, operator choice and tree shape evaluated with Fractions, with no cache."""

    def expressions(nums):
        if len(nums) == 1:
            yield (str(nums[0]), 3), Fraction(nums[0])
            return
        for cut in range(1, len(nums)):
            for left, lv in expressions(nums[:cut]):
                for right, rv in expressions(nums[cut:]):
                    for op, value in (
                        ("+", lv + rv),
                        ("-", lv - rv),
                        ("*", lv * rv),
                        ("/", lv / rv if rv else None),
                    ):
                        if value is not None:
                            yield join(left, op, right), value

    found = {
        expr[0]
        for perm in set(itertools.permutations(numbers))
        for expr, v in expressions(perm)
        if v == target
    }
    return sorted(found)


def _time_naive(hands: list[Hand]) -> tuple[float, int]:
    """The same replies graded by a verifier that re-solves the hand at each step."""
    seconds, steps = 0.0, 0
    for hand in hands:
        solutions = _naive_solutions(hand.numbers)
        replies = _replies(hand, solutions[0])
        started = _clock()
        for reply in replies:
            grade(read_answer(reply).formula, hand.numbers, _naive_solutions(hand.numbers))
        seconds += _clock() - started
        steps += len(replies)
    return seconds, steps


def _time_json(hands: list[Hand], solutions: list[str]) -> tuple[float, int]:
    """`json.loads` of the JSON replies alone."""
    pairs = zip(hands, solutions, strict=True)
    replies = [
        reply for hand, solution in pairs for reply in _replies(hand, solution) if reply.startswith("{")
    ]
    started = _clock()
    for reply in replies:
        json.loads(reply)
    return _clock() - started, len(replies)


def run(args: argparse.Namespace) -> dict:
    quick = bool(getattr(args, "quick", False))
    text_hands = evaluation_hands("id", n=200 if quick else 3000, seed=SEEDS["bench"])
    vision_hands = text_hands[: 10 if quick else 300]
    naive_hands = text_hands[: 1 if quick else 20]
    cold_hands = list(itertools.combinations_with_replacement(range(1, 11 if quick else 14), 4))

    _table.cache_clear()
    _solve_sorted.cache_clear()
    started = _clock()
    for numbers in cold_hands:
        _solve_sorted(numbers, 24)
    cold_solve_all_s = _clock() - started

    text_step_s, text_reset_s, text_steps = _time_env(GeneralPointsEnv(), text_hands)
    wall_step_s, _, _ = _time_env(GeneralPointsEnv(), text_hands, clock=time.perf_counter)
    vision_step_s, vision_reset_s, vision_steps = _time_env(GeneralPointsEnv(modality="vision"), vision_hands)
    naive_s, naive_steps = _time_naive(naive_hands)
    solutions = [GeneralPointsEnv().reset(options=h.options())[1]["solutions"][0] for h in text_hands]
    json_s, json_steps = _time_json(text_hands, solutions)

    hostile = {modality: _time_hostile(modality) for modality in ("text", "vision")}

    text_rate = text_steps / text_step_s
    naive_rate = naive_steps / naive_s
    json_rate = json_steps / json_s
    return {
        "quick": quick,
        "clock": "thread CPU time (one core)",
        "steps_text": text_steps,
        "steps_per_s_text": round(text_rate),
        "steps_per_s_text_wall_clock": round(text_steps / wall_step_s),
        "target_steps_per_s_text": TARGET_STEPS_PER_S,
        "meets_target": round(text_rate) >= TARGET_STEPS_PER_S,
        "steps_per_s_vision": round(vision_steps / vision_step_s),
        "resets_per_s_text": round(len(text_hands) / text_reset_s),
        "resets_per_s_vision": round(len(vision_hands) / vision_reset_s, 1),
        "naive_resolve_steps_per_s": round(naive_rate, 1),
        "speedup_vs_naive_resolve": round(text_rate / naive_rate, 1),
        "json_loads_per_s": round(json_rate),
        "step_cost_in_json_loads": round(json_rate / text_rate, 1),
        "cold_solve_hands": len(cold_hands),
        "cold_solve_s": round(cold_solve_all_s, 2),
        "hostile_step_s": hostile,
        "hostile_worst_step_s": max(max(times.values()) for times in hostile.values()),
    }
