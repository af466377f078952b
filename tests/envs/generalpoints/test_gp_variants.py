"""The one model of GeneralPoints variants: fixed evaluation sets, one dealer for every use, one seed table."""

import hashlib
import json

import pytest

from envs.generalpoints import (
    SEEDS,
    VARIANTS,
    EnvOptions,
    GeneralPointsEnv,
    Hand,
    deal,
    evaluation_hands,
    format_answer,
    is_solvable,
)
from envs.generalpoints.variants import difficulty_of

# Digests of the 234 evaluation hands (cards and suits) per variant at seed 0, taken from the dealer before
# variants moved into envs/generalpoints (proposer.cards.evaluation_hands): the same hands as ever, so
# evaluation numbers stay comparable across the move.
EVALUATION_DIGESTS = {
    "id": "d05ced55042e8446",
    "rule_ood": "c5d0902ec0ea24f2",
    "visual_ood": "ed2b81cc354776c7",
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_evaluation_hands_are_the_same_hands_as_before(name):
    hands = evaluation_hands(name)
    assert len(hands) == 234
    digest = hashlib.sha256(json.dumps([[list(h.cards), list(h.suits)] for h in hands]).encode()).hexdigest()
    assert digest[:16] == EVALUATION_DIGESTS[name]


def test_dealt_lists_are_seeded_prefixes_and_streams_are_apart():
    assert evaluation_hands("id") == evaluation_hands("id", n=234, seed=SEEDS["eval"])
    assert evaluation_hands("id", n=20, seed=1) != evaluation_hands("id", n=20, seed=0)
    assert deal("id", 10, seed=5) == deal("id", 30, seed=5)[:10]
    evaluation, training = evaluation_hands("id", n=20), deal("id", 20, seed=0, stream="train")
    assert [h.cards for h in evaluation] != [h.cards for h in training]
    assert len({h.key for h in evaluation + training}) == 40
    with pytest.raises(ValueError, match="stream"):
        deal("id", 1, stream="test")
    with pytest.raises(ValueError, match="variant"):
        evaluation_hands("nope")


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


def test_env_options_play_and_deal_their_variant():
    options = EnvOptions(variant="visual_ood", modality="vision")
    env = options.make()
    assert (env.face_cards_as_10, env.suits, env.modality) == (True, "red", "vision")
    hand = options.deal(1, seed=3)[0]
    assert hand == deal("visual_ood", 1, seed=3)[0] and hand.stream == "train"
    _, info = env.reset(seed=hand.index, options=hand.options())
    assert info["cards"] == list(hand.cards) and info["suits"] == list(hand.suits)
    assert len(info["solutions"]) == hand.n_solutions
    _, reward, terminated, _, _ = env.step(format_answer(hand.cards, hand.numbers, info["solutions"][0]))
    assert reward == 5.0 and terminated
    rule = EnvOptions(variant="rule_ood").make()
    assert (rule.face_cards_as_10, rule.force_face_card) == (False, True)
    assert isinstance(EnvOptions().make(), GeneralPointsEnv)


def test_difficulty_and_round_trip():
    assert (
        difficulty_of(1) == (1.0, "hard")
        and difficulty_of(24)[1] == "medium"
        and difficulty_of(25)[1] == "easy"
    )
    with pytest.raises(ValueError):
        difficulty_of(0)
    hand = evaluation_hands("rule_ood", n=1)[0]
    assert Hand.from_dict(json.loads(json.dumps(hand.to_dict()))) == hand
