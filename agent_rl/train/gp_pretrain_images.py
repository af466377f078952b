"""Pretraining images for the tiny VLM: rendered card tables and the names of their cards.

A real VLM such as the study's Llama-3.2-Vision has seen playing cards and can name them; a tiny VLM trained
from nothing cannot read a card, so every GP-VL answer fails the recognition check whatever post-training does.
These rows teach that one skill and nothing of the game, in the layout of LLaVA's feature-alignment
pretraining: the prompt is the image and a short question, the completion names the cards left to right
("The cards are: 7 of spades, K of clubs, 10 of hearts and Q of diamonds."), and only the completion is a target.

- Images come from the env's own renderer (`envs.generalpoints.render_hand`), so they are the pixels that
  SFT, RL and evaluation show.
- Hands are any four cards, solvable or not, and never state a number or formula, so no GeneralPoints
  solution is in the data. A hand drawn with exactly the cards and suits of an evaluation hand (any variant's
  default evaluation set) is redrawn: no evaluation image is seen in pretraining.
- A share of the questions (`after_instructions`, none by default) can follow the GP-VL instructions (either
  rule, no cards), for a model to learn to read the image across the ~200 tokens that the game's prompt puts
  between image and answer. Measured on the tiny VLM (hidden 256): pretrained on the bare question alone it
  named 92% of held-out ranks and every suit, but none once those instructions stood between the image and
  the question. Trained from nothing with half the questions after the instructions, 600 of 1,000 steps
  did not get past reading the suits (1.6-3 s per step beside the test suite, against 0.4 s for bare
  questions); that run was stopped. As a second stage (all questions after the instructions, 300 steps, lr
  5e-4, 535 s) it carried the reading across: 67% of ranks and every suit read after the game's prompt, where
  the first stage's checkpoint read none.
- Suits are all four by default, red included, as a real VLM has seen red cards. Visual-OOD asks whether the
  GeneralPoints training (black suits only) keeps or loses what the base model could read on red cards.
  `suits: black` makes a base model that has never seen a red card.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from agent_rl.core.bounds import Count, Probability, Seed
from envs.generalpoints import LABELS, SUIT_CHOICES, VARIANTS, build_prompt, evaluation_hands, render_hand

QUESTION = "Which cards are shown?"


class PretrainImageConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    images: Count = 4000
    suits: Literal["mixed", "black"] = "mixed"  # mixed: all four suits; black: spades and clubs only
    after_instructions: Probability = 0.0  # share of questions placed after the game's prompt
    seed: Seed = 0


def caption(labels: Sequence[str], suits: Sequence[str]) -> str:
    """The cards named left to right, with the labels the GP-VL answer's "cards" list uses."""
    names = [f"{label} of {suit}" for label, suit in zip(labels, suits, strict=True)]
    return f"The cards are: {', '.join(names[:-1])} and {names[-1]}."


@lru_cache(maxsize=1)
def evaluation_images() -> frozenset[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(cards, suits) of every variant's default evaluation hands, in their left-to-right order."""
    return frozenset((hand.cards, hand.suits) for name in VARIANTS for hand in evaluation_hands(name))


def pretrain_hands(config: PretrainImageConfig) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """`config.images` random (cards, suits) hands, none of them an evaluation hand; reproducible from the seed."""
    rng = random.Random(config.seed)
    excluded = evaluation_images()
    suits = SUIT_CHOICES[config.suits]
    hands = []
    while len(hands) < config.images:
        hand = (tuple(rng.choices(LABELS, k=4)), tuple(rng.choices(suits, k=4)))
        if hand not in excluded:
            hands.append(hand)
    return hands


def pretrain_image_rows(
    config: PretrainImageConfig, resize: Callable[[Any], Any] | None = None
) -> list[dict[str, Any]]:
    """Prompt/completion rows (TRL's vision format): the rendered table and the caption naming its cards.
    `resize` (see `models.image_inputs`) stores each image at the model's input size."""
    resize = resize or (lambda image: image)
    rng = random.Random(f"questions-{config.seed}")  # apart from the hands' stream, which stays as it was
    rows = []
    for labels, suits in pretrain_hands(config):
        question = QUESTION
        if rng.random() < config.after_instructions:
            question = f"{build_prompt(None, face_cards_as_10=rng.random() < 0.5)}\n{QUESTION}"
        rows.append(
            {
                "prompt": [
                    {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": question}]}
                ],
                "completion": [{"role": "assistant", "content": caption(labels, suits)}],
                "images": [resize(render_hand(labels, suits))],
                "cards": list(labels),
                "suits": list(suits),
            }
        )
    return rows
