"""Answer parsing and formula evaluation: the study's extraction, no eval, and hostile text bounded in time and size."""

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent_rl.bench.gp_env import hostile_replies
from envs.generalpoints import GeneralPointsEnv, formula_value, read_answer
from envs.generalpoints.env import INFO_CARDS, INFO_CHARS
from envs.generalpoints.formula import evaluate, number_value, tokens
from envs.generalpoints.rewards import FEEDBACK_CHARS

HAND = ["A", "6", "3", "K"]


def table_reward(reward: float, vision: bool = False) -> bool:
    """+5, +1, 0, -1, (vision) -1.5, or a sum of -3 per grammar violation and at most two -2 charges."""
    if reward in (5.0, 1.0, 0.0, -1.0) or (vision and reward == -1.5):
        return True
    return any((-reward - 2 * k) >= 0 and (-reward - 2 * k) % 3 == 0 for k in (0, 1, 2)) and reward < 0


FEEDBACK_LIMIT = 4 * FEEDBACK_CHARS + 600  # the formula quoted at most a few times, plus the sentences


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
    assert read_answer("{'formula': '1+2'}").formula is None  # single quotes are not the study's format


def test_cards_are_read_up_to_the_first_closing_bracket():
    assert read_answer('"cards": ["A", 6, \'K\'] tail ]').cards == ["A", "6", "K"]
    assert read_answer('"cards": ["A", "6"').cards is None  # never closed
    assert read_answer('{"cards": [10, "Q"]}').cards == ["10", "Q"]


def test_exact_fraction_evaluation():
    assert formula_value("8/(3-8/3)") == 24
    assert formula_value("1/3+1/3+1/3") == 1  # no float rounding
    assert formula_value("2-3-4") == -5 and formula_value("2/3/4") * 6 == 1  # left to right
    assert formula_value("2+3*4") == 14 and formula_value("(2+3)*4") == 20 and formula_value("2*3-4/2") == 4
    assert formula_value("007+1") == 8  # leading zeros read as the number
    for incomplete in ("1/(3-3)", "1+", "(1+2", "1+2)", "()", "", "1 + 2", "+1", "1(2)"):
        assert formula_value(incomplete) is None, incomplete


def test_deep_nesting_is_evaluated_without_recursion():
    depth = 100_000
    assert formula_value("(" * depth + "1+2" + ")" * depth) == 3


def test_number_value_never_parses_unbounded_digit_runs():
    assert number_value("0" * 5000 + "7") == 7 and number_value("0" * 5000) == 0
    assert number_value("9" * 5000) is None and number_value("1234567") is None
    assert evaluate(tokens("9" * 5000 + "+1")) is None


def _timed_step(env: GeneralPointsEnv, text: str):
    start = time.perf_counter()
    result = env.step(text)
    return result, time.perf_counter() - start


HOSTILE = hostile_replies()


@pytest.mark.parametrize("name", list(HOSTILE))
@pytest.mark.parametrize("modality", ["text", "vision"])
def test_hostile_replies_are_graded_fast_and_feed_back_bounded_text(name, modality):
    env = _env(modality=modality)
    (obs, reward, _, _, info), seconds = _timed_step(env, HOSTILE[name])
    assert table_reward(reward, vision=modality == "vision")
    assert seconds < 10.0, f"{name}: {seconds:.2f} s"  # each takes well under a second alone (see the report)
    assert len(info["feedback"]) <= FEEDBACK_LIMIT
    if obs["messages"][-1]["role"] == "user":  # the feedback turn (a success ends without one)
        assert len(obs["messages"][-1]["content"]) <= FEEDBACK_LIMIT + 40
    assert info["formula"] is None or len(info["formula"]) <= INFO_CHARS + 40
    assert info.get("recognised_cards") is None or len(info["recognised_cards"]) <= INFO_CARDS


def test_the_5000_digit_number_is_a_foreign_number_and_leading_zeros_are_its_value():
    env = _env()
    assert env.step(HOSTILE["5,000 digits"])[1] == -2.0  # a number on no card
    assert env.step(HOSTILE["5,000 leading zeros"])[1] == 5.0  # 00...010*3-6*1 is 10*3-6*1


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
)


@settings(max_examples=300, deadline=None)
@given(answers)
def test_fuzzed_answers_never_raise_and_get_table_rewards(text):
    _, reward, terminated, _, info = TEXT_ENV.step(text)
    assert table_reward(reward) and terminated == (reward == 5.0) and isinstance(info["feedback"], str)
    _, vision_reward, vision_terminated, _, info = VISION_ENV.step(text)
    assert table_reward(vision_reward, vision=True)
    assert info["recognition_correct"] in (True, False)
    for env, done in ((TEXT_ENV, terminated), (VISION_ENV, vision_terminated)):
        if done:  # a lucky correct answer ends the episode
            env.reset(options={"cards": HAND})
