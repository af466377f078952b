"""The GeneralPoints RL loop's own metrics: how graded attempts ended, read from real env steps."""

import json

from agent_rl.core.types import Episode, Turn
from agent_rl.train.gp_rl import outcome_shares
from envs.generalpoints import OUTCOMES, GeneralPointsEnv


def _episode(replies: list[str], cards: list[str]) -> Episode:
    env = GeneralPointsEnv(modality="vision", max_attempts=2)
    env.reset(options={"cards": cards, "suits": ["spades"] * 4})
    turns = []
    for reply in replies:
        _, reward, _, _, info = env.step(reply)
        turns.append(Turn(messages=[], response=reply, reward=reward, info=info))
    return Episode("e", {}, turns=turns)


def test_outcome_shares_count_graded_attempts_only():
    cards = ["3", "4", "6", "8"]
    answer = {"cards": cards, "formula": "(8-6)*4*3"}
    misread = json.dumps({**answer, "cards": ["3", "4", "6", "9"]})
    solved = _episode([json.dumps(answer)], cards)
    illegal = json.dumps({**answer, "formula": "8 * 3"})  # spaces are illegal characters
    gave_up = _episode([misread, illegal, "too late"], cards)  # misread, illegal, then exhausted
    shares = outcome_shares([solved, gave_up])
    assert set(shares) == {f"outcome/{name}" for name in OUTCOMES}  # every key, so ranks stay in step
    assert gave_up.turns[-1].info["outcome"] == "exhausted"  # ungraded: left out of the shares
    assert shares["outcome/success"] == shares["outcome/recognition"] == 1 / 3
    assert shares["outcome/recognition"] + shares["outcome/success"] + shares["outcome/illegal"] == 1.0
    assert outcome_shares([]) == {f"outcome/{name}": 0.0 for name in OUTCOMES}
