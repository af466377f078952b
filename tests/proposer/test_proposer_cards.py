"""Card-hand proposer: deterministic evaluation sets, solvable hands, the rule-OOD face-card rule, suits."""

import pytest

from envs.generalpoints import GeneralPointsEnv, format_answer, is_solvable
from proposer.cards import (
    VARIANTS,
    Hand,
    curriculum,
    difficulty_of,
    evaluation_hands,
    training_hands,
)


def test_evaluation_sets_are_fixed_and_seeded():
    assert evaluation_hands("id") == evaluation_hands("id", n=234, seed=0)
    assert len(evaluation_hands("id")) == 234
    assert evaluation_hands("id", n=20, seed=1) != evaluation_hands("id", n=20, seed=0)
    assert evaluation_hands("id", n=20) != training_hands("id", n=20)  # separate streams
    assert evaluation_hands("id", n=10) == evaluation_hands("id", n=30)[:10]


@pytest.mark.parametrize("name", list(VARIANTS))
def test_hands_follow_their_variant(name):
    settings = VARIANTS[name]
    hands = evaluation_hands(name, n=60)
    for hand in hands:
        assert is_solvable(hand.numbers) and hand.n_solutions >= 1
        suits = {"black": {"spades", "clubs"}, "red": {"hearts", "diamonds"}}[settings.suits]
        assert set(hand.suits) <= suits
        faces = [card for card in hand.cards if card in ("J", "Q", "K")]
        if name == "rule_ood":
            assert faces and all(
                n in (11, 12, 13) for c, n in zip(hand.cards, hand.numbers, strict=True) if c in faces
            )
        else:
            assert all(n == 10 for c, n in zip(hand.cards, hand.numbers, strict=True) if c in faces)
    if name != "rule_ood":  # ID hands draw face cards only at their natural rate, so some hands have none
        assert any(not set(hand.cards) & {"J", "Q", "K"} for hand in hands)


def test_env_plays_a_proposed_hand_with_its_suits():
    hand = evaluation_hands("visual_ood", n=1)[0]
    env = GeneralPointsEnv(modality="vision", **VARIANTS["visual_ood"].env_kwargs())
    _, info = env.reset(seed=hand.index, options=hand.options())
    assert info["cards"] == list(hand.cards) and info["suits"] == list(hand.suits)
    assert len(info["solutions"]) == hand.n_solutions
    _, reward, terminated, _, _ = env.step(format_answer(hand.cards, hand.numbers, info["solutions"][0]))
    assert reward == 5.0 and terminated


def test_difficulty_and_curriculum():
    assert (
        difficulty_of(1) == (1.0, "hard")
        and difficulty_of(24)[1] == "medium"
        and difficulty_of(25)[1] == "easy"
    )
    with pytest.raises(ValueError):
        difficulty_of(0)
    ordered = curriculum(evaluation_hands("id", n=50))
    assert [h.n_solutions for h in ordered] == sorted(h.n_solutions for h in ordered)[::-1]
    assert Hand.from_dict(ordered[0].to_dict()) == ordered[0]
    with pytest.raises(ValueError, match="variant"):
        evaluation_hands("nope")
