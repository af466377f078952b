"""Answer parsing and the formula scan: forgiving extraction, no eval, and any model text gets a table reward."""

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envs.generalpoints import GeneralPointsEnv, format_answer, formula_value, read_answer
from envs.generalpoints.formula import MAX_DEPTH, scan

HAND = ["A", "6", "3", "K"]
PENALTIES = {-3.0 * g - 2.0 * a - 2.0 * b for g, a, b in itertools.product(range(5), (0, 1), (0, 1))} - {0.0}
TABLE_REWARDS = PENALTIES | {5.0, 1.0, -1.0}


def _env(**kwargs) -> GeneralPointsEnv:
    env = GeneralPointsEnv(max_attempts=10**9, **kwargs)
    env.reset(seed=0, options={"cards": HAND})
    return env


TEXT_ENV = _env()
VISION_ENV = _env(modality="vision")


def test_strict_json_then_regex_then_cut_at_equals():
    assert read_answer('{"cards": ["A"], "formula": "1+2=3=4"}').formula == "1+2"
    broken = 'Sure! {"cards": [A, "6", \'3\', K], "formula": "(1+6)*3+13=24", oops'
    assert read_answer(broken).formula == "(1+6)*3+13"
    assert read_answer(broken).cards == ["A", "6", "3", "K"]
    assert read_answer("no answer at all") == read_answer("") == read_answer('{"formula": 24}')
    assert read_answer("no answer at all").formula is None


def test_scan_counts_each_violation_kind():
    assert scan("1 + 2").illegal == " " and not scan("1 + 2").bad_order
    assert scan("1++2").bad_order and not scan("1++2").unbalanced
    assert scan("(1+2").unbalanced and scan("1+2)").unbalanced and scan(")1+2(").bad_order
    assert scan("()").bad_order and scan("").bad_order and scan("3*").bad_order
    assert (
        scan("1×2").illegal == "×" and scan("١+2").illegal == "١"
    )  # unicode operators and digits are illegal
    assert scan("(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1)).too_deep
    assert scan("12*(3-4)/5").violations == 0 and scan("12*(3-4)/5").numbers == [12, 3, 4, 5]


def test_exact_fraction_evaluation():
    assert formula_value("8/(3-8/3)") == 24
    assert formula_value("1/3+1/3+1/3") == 1  # no float rounding
    assert formula_value("2-3-4") == -5 and formula_value("2/3/4") * 6 == 1  # left to right
    assert formula_value("1/(3-3)") is None and formula_value("1+") is None


@pytest.mark.parametrize(
    ("text", "reward"),
    [
        ("", -5.0),  # no formula (-3), every card unused (-2)
        ("x" * 1_000_000, -5.0),
        ("{\"formula\": \"__import__('os').system('ls')\"}", -8.0),  # illegal, "()", no card used
        ('{"formula": "10/(6-6)*3"}', -4.0),  # a second 6 (-2) and the ace's 1 unused (-2)
        ('{"formula": "(10*3-6)/(1-1)"}', -2.0),  # 1 used twice is not on the cards
        ('{"formula": "((10*3-6)*1"}', -3.0),  # unmatched parenthesis, right numbers
        ('{"formula": "10*3-6*1))"}', -3.0),
        ('{"formula": "🂡+6+3+10"}', -8.0),  # illegal char, a leading '+', the ace's 1 unused
    ],
)
def test_hostile_answers_get_table_penalties(text, reward):
    env = _env()
    _, r, terminated, truncated, info = env.step(text)
    assert r == reward and not terminated and not truncated
    assert info["feedback"]


def test_division_by_zero_with_the_right_numbers_misses_the_target():
    env = GeneralPointsEnv()
    env.reset(options={"cards": ["3", "3", "8", "8"]})
    _, r, _, _, info = env.step(format_answer(env.cards, env.numbers, "8/(3-3)*8"))
    assert r == -1.0 and "divides by zero" in info["feedback"]


answers = st.one_of(
    st.text(),
    st.text(alphabet="0123456789+-*/()= .,x{}[]\"'", max_size=60),
    st.builds(
        lambda f: json.dumps({"cards": HAND, "formula": f}),
        st.text(alphabet="0123456789+-*/() ", max_size=30),
    ),
    st.builds(lambda f: '"formula": "' + f + '"', st.text(max_size=40)),
    st.builds(
        lambda cards, f: json.dumps({"cards": cards, "formula": f}),
        st.lists(
            st.one_of(st.text(max_size=5), st.integers(), st.none(), st.sampled_from(HAND)), max_size=30
        ),
        st.sampled_from(["10*3-6*1", "10*3-6+1", "", "(("]),
    ),
    st.just("[" * 100_000),
)


@settings(max_examples=300, deadline=None)
@given(answers)
def test_fuzzed_answers_never_raise_and_get_table_rewards(text):
    _, reward, terminated, _, info = TEXT_ENV.step(text)
    assert reward in TABLE_REWARDS and terminated == (reward == 5.0) and isinstance(info["feedback"], str)
    _, vision_reward, vision_terminated, _, info = VISION_ENV.step(text)
    assert vision_reward in TABLE_REWARDS | {-1.5}
    assert info["recognition_correct"] in (True, False, None)
    for env, done in ((TEXT_ENV, terminated), (VISION_ENV, vision_terminated)):
        if done:  # a lucky correct answer ends the episode
            env.reset(options={"cards": HAND})


def test_python_dict_answers_are_read_too():
    answer = read_answer("{'cards': ['A', 3, 'K', '10'], 'formula': '(1+3)*10-16=24'}")
    assert answer.formula == "(1+3)*10-16" and answer.cards == ["A", "3", "K", "10"]
