"""Pretraining images: each row's caption names the cards its image shows, and no evaluation image is in them."""

import re

import numpy as np

from agent_rl.train import gp_pretrain_images
from agent_rl.train.gp_pretrain_images import (
    PretrainImageConfig,
    caption,
    evaluation_images,
    pretrain_hands,
    pretrain_image_rows,
)
from envs.generalpoints import RED_SUITS, VARIANTS, evaluation_hands, render_hand

NAMED = re.compile(r"(A|[2-9]|10|J|Q|K) of (spades|clubs|hearts|diamonds)")


def test_each_caption_names_the_rendered_cards_left_to_right():
    rows = pretrain_image_rows(PretrainImageConfig(images=6, seed=4))
    for row in rows:
        named = NAMED.findall(row["completion"][0]["content"])
        assert named == list(zip(row["cards"], row["suits"], strict=True))
        shown = np.asarray(row["images"][0])
        assert np.array_equal(shown, np.asarray(render_hand(row["cards"], row["suits"])))
        assert row["prompt"][0]["content"][0] == {"type": "image"}
    assert caption(["7", "K", "10", "Q"], ["spades", "clubs", "hearts", "diamonds"]) == (
        "The cards are: 7 of spades, K of clubs, 10 of hearts and Q of diamonds."
    )


def test_rows_store_the_image_the_resize_gives():
    sizes = []
    rows = pretrain_image_rows(
        PretrainImageConfig(images=2), resize=lambda image: sizes.append(1) or image.resize((64, 64))
    )
    assert [row["images"][0].size for row in rows] == [(64, 64)] * 2 and len(sizes) == 2


def test_hands_are_seeded_and_show_the_chosen_suits():
    mixed = pretrain_hands(PretrainImageConfig(images=200, seed=1))
    assert mixed == pretrain_hands(PretrainImageConfig(images=200, seed=1))
    assert mixed != pretrain_hands(PretrainImageConfig(images=200, seed=2))
    assert any(suit in RED_SUITS for _, suits in mixed for suit in suits)
    black = pretrain_hands(PretrainImageConfig(images=200, suits="black", seed=1))
    assert not any(suit in RED_SUITS for _, suits in black for suit in suits)


def test_no_evaluation_image_is_drawn(monkeypatch):
    every = {(hand.cards, hand.suits) for name in VARIANTS for hand in evaluation_hands(name)}
    assert evaluation_images() == every and len(every) > 600
    first = pretrain_hands(PretrainImageConfig(images=1, seed=5))[0]
    monkeypatch.setattr(gp_pretrain_images, "evaluation_images", lambda: frozenset({first}))
    hands = pretrain_hands(PretrainImageConfig(images=50, seed=5))
    assert first not in hands and len(hands) == 50  # redrawn, not dropped


def test_a_share_of_questions_follows_the_game_instructions_and_the_hands_stay_the_same():
    from envs.generalpoints import build_prompt

    def questions(share):
        rows = pretrain_image_rows(PretrainImageConfig(images=200, seed=3, after_instructions=share))
        return [row["prompt"][0]["content"][1]["text"] for row in rows], [row["cards"] for row in rows]

    bare, cards = questions(0.0)
    assert set(bare) == {gp_pretrain_images.QUESTION}
    mixed, same_cards = questions(0.5)
    assert same_cards == cards  # the instructions do not change which hands are drawn
    after = [q for q in mixed if q != gp_pretrain_images.QUESTION]
    assert 60 < len(after) < 140
    prompts = {build_prompt(None, face_cards_as_10=rule) for rule in (True, False)}
    assert {q.rsplit("\n", 1)[0] for q in after} == prompts  # both rules, the question last
    assert all(q.endswith("\n" + gp_pretrain_images.QUESTION) for q in after)
    assert all(q != gp_pretrain_images.QUESTION for q in questions(1.0)[0])
