"""The study's grading, row by row of the spec's reward table and step by step of its grading order."""

import ast
import json
import re
from collections import Counter
from fractions import Fraction
from operator import add, mul, sub, truediv

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envs.generalpoints import GeneralPointsEnv, RewardConfig, grade, solve
from envs.generalpoints.formula import tokens
from envs.generalpoints.rewards import grammar_violations, starts_a_solution

HAND = ["A", "6", "3", "K"]  # numbers 1, 6, 3, 10 in distribution
NUMBERS = [1, 6, 3, 10]
SOLUTIONS = solve(NUMBERS)


def answer(formula: str, cards=HAND) -> str:
    return json.dumps({"cards": list(cards), "number": NUMBERS, "formula": formula})


def step(text: str, **env_kwargs):
    env = GeneralPointsEnv(**env_kwargs)
    env.reset(seed=0, options={"cards": HAND})
    return env.step(text)


def test_success_is_plus_five_and_ends_the_episode():
    assert "10*3-6*1" in SOLUTIONS
    _, reward, terminated, truncated, info = step(answer("10*3-6*1=24"))
    assert (reward, terminated, truncated, info["outcome"]) == (5.0, True, False, "success")
    assert all(grade(s, NUMBERS, SOLUTIONS).reward == 5.0 for s in SOLUTIONS)


def test_exact_fractions_reach_24_where_floats_miss_it():
    numbers = [3, 3, 8, 8]
    assert 8 / (3 - 8 / 3) != 24  # the float value misses the target
    assert grade("8/(3-8/3)", numbers, solve(numbers)).reward == 5.0


def test_an_unfinished_prefix_with_the_exact_card_numbers_earns_plus_one():
    solution = next(s for s in SOLUTIONS if s.endswith(")"))  # '1*(10*3-6)'
    result = grade(solution[:-1], NUMBERS, SOLUTIONS)  # an unclosed '(' costs nothing at step 2
    assert (result.reward, result.outcome) == (1.0, "prefix")


def test_partial_credit_needs_the_exact_card_numbers():
    """A prefix that has not used every card is charged for the unused ones: no +1."""
    assert starts_a_solution("10*3-", SOLUTIONS)
    result = grade("10*3-", NUMBERS, SOLUTIONS)
    assert (result.reward, result.outcome) == (-2.0, "penalty") and "unused" in result.feedback


@pytest.mark.parametrize(
    ("formula", "words"),
    [
        ("10+6+3+1", "evaluates to 20, not 24"),  # complete, misses the target
        ("((10*3-6)*1", "cannot be evaluated"),  # incomplete, and no solution starts with it
    ],
)
def test_a_miss_without_penalty_is_minus_one(formula, words):
    result = grade(formula, NUMBERS, SOLUTIONS)
    assert (result.reward, result.outcome) == (-1.0, "wrong_value") and words in result.feedback


def test_a_division_by_zero_cannot_be_evaluated():
    result = grade("8/(3-3)*8", [3, 3, 8, 8], solve([3, 3, 8, 8]))
    assert (result.reward, result.outcome) == (
        -1.0,
        "wrong_value",
    ) and "cannot be evaluated" in result.feedback


def test_the_prefix_walk_names_the_longest_matching_prefix():
    result = grade("10*3-6+1", NUMBERS, SOLUTIONS)
    assert result.reward == -1.0
    assert "'10*3-6' is partially correct but the full formula does not match any solution" in result.feedback
    assert not any(s.startswith("6") for s in SOLUTIONS)
    result = grade("6+1+3+10", NUMBERS, SOLUTIONS)
    assert result.reward == -1.0 and "the formula does not match any solution" in result.feedback


def test_a_complete_miss_whose_every_prefix_matches_earns_zero():
    # the solver never writes such a solution; a longer one that starts with a complete formula shows step 5
    result = grade("1+2*3", [1, 2, 3], ["1+2*3*4"], target=24)
    assert (result.reward, result.outcome) == (0.0, "matched")


@pytest.mark.parametrize(
    ("formula", "reward"),
    [
        ("10*3-6*1+7", -2.0),  # 7 is on no card
        ("(10-6)*(3*1+3)", -2.0),  # a second 3
        ("10*3-6*1*1*7", -2.0),  # a foreign 7 and a second 1: one -2, not both
        ("10*3-6", -2.0),  # the 1 unused
        ("(10-6)*7", -4.0),  # 7 on no card, and 1 and 3 unused
        ("(10-6)*6*1", -4.0),  # a second 6, and 3 unused
        ("", -2.0),  # an empty formula breaks no order rule and uses no card
        ("99999999999999999999*1", -4.0),  # a huge number is on no card; 3, 6 and 10 unused
    ],
)
def test_number_use(formula, reward):
    result = grade(formula, NUMBERS, SOLUTIONS)
    assert (result.reward, result.outcome) == (reward, "penalty")


@pytest.mark.parametrize(
    ("formula", "bad_tokens"),
    [
        ("1++6*3+10", [2]),  # an operator after an operator
        ("+10*3-6*1", [0]),  # an operator first
        ("3(10-6)*1", [1]),  # '(' after a number
        ("(10-6)3*1", [5]),  # a number after ')'
        ("10*3-6*1))", [7, 8]),  # each unmatched ')' costs
        (")10*3-6*1", [0, 1]),  # ')' first (one charge, though it also closes nothing), then 10 after ')'
        ("(10*3-)6*1", [5, 6]),  # ')' after an operator, then 6 after ')'
        ("1++6**3--10", [2, 5, 8]),
    ],
)
def test_each_token_out_of_place_costs_minus_three(formula, bad_tokens):
    assert grammar_violations(formula) == bad_tokens
    result = grade(formula, NUMBERS, SOLUTIONS)
    assert result.reward == -3.0 * len(bad_tokens) and result.outcome == "penalty"


def test_grammar_and_number_penalties_accumulate():
    assert grade("10**3", NUMBERS, SOLUTIONS).reward == -3.0 - 2.0  # one bad '*', 1 and 6 unused
    assert grade("()", NUMBERS, SOLUTIONS).reward == -3.0 - 2.0  # ')' after '(', no card used
    assert grade("1++6**7", NUMBERS, SOLUTIONS).reward == -3.0 * 2 - 2.0 - 2.0
    assert grade("(10*3-6*1", NUMBERS, SOLUTIONS).reward == -1.0  # an unclosed '(' is no violation


@pytest.mark.parametrize(
    "formula", ["10*3-6*1 ", "10 * 3 - 6 * 1", "10×3-6×1", "1O*3-6*1", "١+6*3+10", "x" * 10**6]
)
def test_illegal_characters_cost_minus_three_and_stop_grading(formula):
    result = grade(formula, NUMBERS, SOLUTIONS)
    assert (result.reward, result.outcome) == (-3.0, "illegal")


@pytest.mark.parametrize(
    "text",
    [
        "no answer at all",
        "",
        '{"formula": 24}',  # JSON, but the formula is no string
        "{'cards': ['A', '6', '3', 'K'], 'formula': '10*3-6*1=24'}",  # a Python dict is not the study's format
        '{"cards": ["A"], "answer": "10*3-6*1"}',
    ],
)
def test_an_unreadable_answer_is_graded_as_the_text_none(text):
    _, reward, _, _, info = step(text)
    assert (reward, info["outcome"], info["formula"]) == (-3.0, "illegal", None)
    assert "'None'" in info["feedback"]


def test_regex_fallback_reads_the_first_formula_and_cuts_at_equals():
    _, reward, *_ = step('Sure! {"cards": [A, 6], "formula": "10*3-6*1=24", "formula": "1"')
    assert reward == 5.0
    assert step('{"formula": "10*3-6*1=25=24"}')[1] == 5.0  # everything from the first '=' is dropped


def test_vision_recognition_is_checked_first_and_alone():
    wrong = answer("10*3-6*1", cards=["A", "6", "3", "Q"])  # the formula alone would succeed
    _, reward, terminated, _, info = step(wrong, modality="vision")
    assert (reward, terminated, info["outcome"], info["recognition_correct"]) == (
        -1.5,
        False,
        "recognition",
        False,
    )
    _, reward, *_ = step(answer("10 10", cards=["K", "3", "A", "6"]), modality="vision")  # sorted lists agree
    assert reward == -3.0
    _, reward, _, _, info = step('"formula": "10*3-6*1"', modality="vision")  # no cards: they differ
    assert (reward, info["recognition_correct"]) == (-1.5, False)
    _, reward, *_ = step(answer("10*3-6*1", cards=["Ace", "6", "3", "K"]), modality="vision")
    assert reward == -1.5  # labels are compared as written


def test_attempts_exhausted_is_minus_one_and_truncates():
    env = GeneralPointsEnv(max_attempts=2)
    env.reset(options={"cards": HAND})
    assert [env.step(answer("10+6+3+1"))[1] for _ in range(2)] == [-1.0, -1.0]
    _, reward, terminated, truncated, info = env.step(answer("10*3-6*1"))
    assert (reward, terminated, truncated, info["outcome"]) == (-1.0, False, True, "exhausted")


def test_rewards_are_configurable():
    rewards = RewardConfig(grammar=-30.0, bad_number=-20.0, unused_number=-7.0, prefix=0.5)
    assert grade("1++6**7", NUMBERS, SOLUTIONS, rewards=rewards).reward == -30 * 2 - 20 - 7
    assert grade("1*(10*3-6", NUMBERS, SOLUTIONS, rewards=rewards).reward == 0.5


def _order_rule_breakers(formula: str) -> list[int]:
    """The spec's step 2 read literally, one token at a time (the oracle for `grammar_violations`)."""
    bad, previous, depth = [], None, 0
    for i, token in enumerate(tokens(formula)):
        after_operand = previous is not None and (previous == ")" or previous.isdigit())
        if token == ")":
            ok = after_operand and depth > 0
            depth = max(depth - 1, 0)
        elif token == "(":
            ok, depth = not after_operand, depth + 1
        else:
            ok = after_operand != token.isdigit()
        if not ok:
            bad.append(i)
        previous = token
    return bad


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="0123456789+-*/()", max_size=40))
def test_grammar_violations_follow_the_rules_token_by_token(formula):
    assert grammar_violations(formula) == _order_rule_breakers(formula)


def _value(formula: str) -> Fraction | None:
    """The oracle's evaluation: Python's own parser over Fractions (the test's formulas, never model text)."""

    def value(node):
        if isinstance(node, ast.Constant):
            return Fraction(node.value)
        left, right = value(node.left), value(node.right)
        return {ast.Add: add, ast.Sub: sub, ast.Mult: mul, ast.Div: truediv}[type(node.op)](left, right)

    try:
        return value(ast.parse(re.sub(r"\b0+(?=\d)", "", formula), mode="eval").body)
    except (SyntaxError, ZeroDivisionError):
        return None


def _study_reward(formula: str | None, numbers, solutions, target: int = 24) -> float:
    """The spec's grading order, read literally, for the default rewards."""
    formula = "None" if formula is None else formula
    if any(c not in "0123456789+-*/()" for c in formula):
        return -3.0
    reward = -3.0 * len(_order_rule_breakers(formula))
    used, cards = Counter(int(t) for t in re.findall(r"\d+", formula)), Counter(numbers)
    if any(used[n] > cards[n] for n in used):  # on no card, or used too often: one charge
        reward -= 2
    if any(used[n] < cards[n] for n in cards):
        reward -= 2
    if reward:
        return reward
    value = _value(formula)
    if value == target:
        return 5.0
    if value is None and any(s.startswith(formula) for s in solutions):
        return 1.0
    prefix = ""
    for token in tokens(formula):
        prefix += token
        if not any(s.startswith(prefix) for s in solutions):
            return -1.0
    return 0.0


formulas = st.one_of(
    st.lists(
        st.sampled_from(["1", "6", "3", "10", "7", "01", "(", ")", "+", "-", "*", "/", " "]), max_size=12
    ).map("".join),
    st.builds(lambda s, cut: s[:cut], st.sampled_from(SOLUTIONS), st.integers(0, 12)),
    st.builds(
        lambda s, i, c: s[:i] + c + s[i + 1 :],
        st.sampled_from(SOLUTIONS),
        st.integers(0, 12),
        st.sampled_from("+-*/()136"),
    ),
    st.sampled_from([s[:-1] for s in SOLUTIONS if s.endswith(")")]),  # unfinished, with every card: +1
    st.none(),
)


@settings(max_examples=1500, deadline=None)
@given(formulas)
def test_grade_agrees_with_the_spec_read_literally(formula):
    assert grade(formula, NUMBERS, SOLUTIONS).reward == _study_reward(formula, NUMBERS, SOLUTIONS)


def test_a_huge_number_among_four_is_a_foreign_number():
    assert grade("1*6*3*" + "1" * 10, NUMBERS, SOLUTIONS).reward == -4.0  # on no card; 10 unused
