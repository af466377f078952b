"""GeneralPointsEnv: the episode API, the reward table case by case, feedback turns and vision recognition."""

import json

import pytest

from envs.generalpoints import FAILURE_PREFIX, GeneralPointsEnv, RewardConfig, format_answer, is_solvable

HAND = ["A", "6", "3", "K"]  # numbers 1, 6, 3, 10 in distribution


def answer(formula: str, cards=HAND) -> str:
    return json.dumps({"cards": list(cards), "number": [1, 6, 3, 10], "formula": formula})


@pytest.fixture
def env():
    env = GeneralPointsEnv()
    env.reset(seed=0, options={"cards": HAND})
    return env


def test_reset_fixes_hand_and_gives_text_prompt(env):
    obs, info = env.reset(seed=3, options={"cards": HAND})
    assert info["cards"] == HAND and info["numbers"] == [1, 6, 3, 10]
    assert info["solutions"] and all("=" not in s for s in info["solutions"])
    (message,) = obs["messages"]
    assert message["role"] == "user" and "Cards: ['A', '6', '3', 'K']" in message["content"]
    assert "'J', 'Q', and 'K' all count as '10'" in message["content"]
    assert obs["images"] == []


def test_rule_ood_values_and_prompt():
    env = GeneralPointsEnv(face_cards_as_10=False)
    obs, info = env.reset(seed=0, options={"cards": ["J", "Q", "K", "A"]})
    assert info["numbers"] == [11, 12, 13, 1]
    assert "'11', '12', and '13'" in obs["messages"][0]["content"]
    assert GeneralPointsEnv().reset(options={"cards": ["J", "Q", "K", "A"]})[1]["numbers"] == [10, 10, 10, 1]


def test_random_hands_are_solvable_and_rule_ood_has_face_card():
    ood = GeneralPointsEnv(face_cards_as_10=False)
    for seed in range(30):
        _, info = ood.reset(seed=seed)
        assert is_solvable(info["numbers"]) and info["solutions"]
        assert any(card in ("J", "Q", "K") for card in info["cards"])
    _, a = GeneralPointsEnv().reset(seed=7)
    _, b = GeneralPointsEnv().reset(seed=7)
    assert a == b


def test_success_with_format_answer_terminates(env):
    for solution in env.solutions:
        env.reset(options={"cards": HAND})
        obs, r, terminated, truncated, info = env.step(format_answer(HAND, env.numbers, solution))
        assert (r, terminated, truncated, info["success"]) == (5.0, True, False, True)
        assert info["formula"] == solution and obs["messages"][-1]["role"] == "assistant"
    with pytest.raises(RuntimeError, match="reset"):
        env.step("again")


def test_wrong_value_feedback_names_longest_matching_prefix(env):
    assert "10*3-6*1" in env.solutions
    obs, r, _, _, info = env.step(answer("10*3-6+1"))
    assert r == -1.0 and "evaluates to 25, not 24" in info["feedback"]
    assert "'10*3-6' is partially correct" in info["feedback"]
    assert obs["messages"][-1] == {"role": "user", "content": f"{FAILURE_PREFIX}{info['feedback']}."}


def test_attempts_exhausted_truncates_with_minus_one(env):
    for attempt in range(1, 6):
        obs, r, terminated, truncated, info = env.step(answer("10+6+3+1"))
        assert (r, terminated, truncated, info["attempt"]) == (-1.0, False, False, attempt)
    obs, r, terminated, truncated, info = env.step(answer("10+6+3+1"))
    assert (r, terminated, truncated, info["outcome"]) == (-1.0, False, True, "exhausted")
    roles = [m["role"] for m in obs["messages"]]
    assert roles == ["user"] + ["assistant", "user"] * 5 + ["assistant"]


def test_configured_rewards_are_used():
    env = GeneralPointsEnv(rewards=RewardConfig(success=10.0, unused_number=-7.0), max_attempts=2)
    env.reset(options={"cards": HAND})
    assert env.step(answer("(10-6)*3"))[1] == -7.0
    assert env.step(answer(env.solutions[0]))[1] == 10.0


def test_vision_recognition_checked_first_on_sorted_cards():
    env = GeneralPointsEnv(modality="vision", suits="red")
    obs, info = env.reset(seed=0, options={"cards": HAND})
    first = obs["messages"][0]["content"]
    assert first[0] == {"type": "image"} and "Cards:" not in first[1]["text"]
    assert len(obs["images"]) == 1 and obs["images"][0].size == (1200, 1200)
    assert all(s in ("hearts", "diamonds") for s in info["suits"])
    # wrong cards: -1.5 even though the formula would also be penalised
    _, r, _, _, step_info = env.step(answer("1 2", cards=["A", "6", "3", "Q"]))
    assert r == -1.5 and step_info["recognition_correct"] is False and step_info["outcome"] == "recognition"
    # the same cards in another order are recognised, and the formula is graded
    _, r, terminated, _, step_info = env.step(answer(env.solutions[0], cards=["K", "3", "A", "6"]))
    assert step_info["recognition_correct"] is True and r == 5.0 and terminated


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="modality"):
        GeneralPointsEnv(modality="audio")
    with pytest.raises(ValueError, match="suits"):
        GeneralPointsEnv(suits="green")
    with pytest.raises(ValueError, match="unknown card"):
        GeneralPointsEnv().reset(options={"cards": ["A", "B", "3", "4"]})


def test_feedback_turns_carry_the_history():
    env = GeneralPointsEnv()
    env.reset(options={"cards": HAND})
    env.step("first try")
    obs, *_ = env.step(answer("10*3-6+1"))
    contents = [m["content"] for m in obs["messages"]]
    assert contents[1] == "first try" and contents[3] == answer("10*3-6+1")
    assert contents[2].startswith(
        "You failed this trial because the formula 'None' contains characters other"
    )
    assert contents[4].startswith("You failed this trial because it evaluates to 25, not 24")


def test_unreachable_target_is_a_clear_error():
    with pytest.raises(ValueError, match="target"):
        GeneralPointsEnv(target=100_000).reset(seed=0)
    _, info = GeneralPointsEnv(target=10).reset(seed=0)
    assert info["solutions"]
