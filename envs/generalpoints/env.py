"""GeneralPoints as a Gymnasium env: one hand per episode, up to `max_attempts` verified answers.

The observation is the whole chat so far in Hugging Face layout (see agent_rl/core/types.py):
`{"messages": [...], "images": [...]}`. The first user turn is the prompt (in vision mode its content is
`[{"type": "image"}, {"type": "text", "text": prompt}]` and `images` holds the table image), then the model's
replies as given, each failed one followed by a user turn "You failed this trial because <feedback>.".

Episode end, as the spec's table says:
- a successful attempt terminates the episode (+5);
- the attempts 1..max_attempts are graded; a failed attempt leaves the episode running, with the feedback as
  the next user turn;
- the step after the last allowed attempt is not graded: it gets the exhausted reward (-1) and truncates.
Calling `step` after the episode ended raises RuntimeError (call `reset`). The spaces are the text agents' ones
(agent_rl/core/spaces.py: chat observations with optional images, printable text actions; any other string is
still graded, never refused); `render` is not needed since the image is in the observation. Registered as `gymnasium.make("agent_rl/GeneralPoints-v0", ...)`.

Vision: the recognised card labels (the answer's "cards", each stripped of surrounding spaces) are compared
with the true labels as sorted lists before anything else, as the study does; a mismatch costs -1.5 and nothing
else is graded. Unreadable cards are a mismatch too, and labels are compared as written ("Ace" is not "A").
A fixed hand given by `options["cards"]` is used as is, even when it has no solution or no face card.

Model text is bounded where it comes back: the feedback quotes at most `rewards.FEEDBACK_CHARS` characters of
the formula, and step info keeps at most `INFO_CHARS` of it and `INFO_CARDS` recognised labels.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from agent_rl.core.spaces import ChatObservation, text_actions
from envs.generalpoints.cards import (
    SUIT_CHOICES,
    card_values,
    deal_hand,
    deal_suits,
    parse_labels,
    parse_suits,
)
from envs.generalpoints.formula import read_answer
from envs.generalpoints.prompts import FAILURE_PREFIX, build_prompt
from envs.generalpoints.render import render_hand
from envs.generalpoints.rewards import Grade, RewardConfig, grade, quote
from envs.generalpoints.solver import solve

MODALITIES = ("text", "vision")
INFO_CHARS = 1000  # the most of a formula that step info keeps (info is stored with every turn)
INFO_CARDS = 16  # the most recognised labels step info keeps, each cut to 20 characters


class GeneralPointsEnv(gym.Env):
    """The card game of "SFT Memorizes, RL Generalizes": reach the target with the four card numbers."""

    metadata = {"render_modes": []}

    def __init__(
        self,
        face_cards_as_10: bool = True,
        modality: str = "text",
        suits: str = "black",
        max_attempts: int = 5,
        target: int = 24,
        rewards: RewardConfig | None = None,
        force_face_card: bool | None = None,
    ) -> None:
        if modality not in MODALITIES:
            raise ValueError(f"modality must be one of {MODALITIES}, got {modality!r}")
        if suits not in SUIT_CHOICES:
            raise ValueError(f"suits must be one of {tuple(SUIT_CHOICES)}, got {suits!r}")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        self.face_cards_as_10 = face_cards_as_10
        self.modality = modality
        self.suits = suits
        self.max_attempts = max_attempts
        self.target = target
        self.rewards = rewards or RewardConfig()
        self.force_face_card = (not face_cards_as_10) if force_face_card is None else force_face_card
        self.observation_space = ChatObservation()
        self.action_space = text_actions()
        self._messages: list[dict[str, Any]] = []
        self._images: list[Any] = []
        self._done = True

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Deal a random solvable hand, or use `options["cards"]` (and optionally `options["suits"]`)."""
        super().reset(seed=seed)
        options = options or {}
        if options.get("cards") is not None:
            self.cards = parse_labels(options["cards"])
        else:
            self.cards = deal_hand(self.np_random, self.face_cards_as_10, self.force_face_card, self.target)
        if options.get("suits") is not None:
            self.card_suits = parse_suits(options["suits"])
        else:
            self.card_suits = deal_suits(self.np_random, self.suits)
        self.numbers = card_values(self.cards, self.face_cards_as_10)
        self.solutions = solve(self.numbers, self.target)
        self._sorted_cards = sorted(self.cards)
        self._attempt = 0
        self._done = False
        if self.modality == "vision":
            prompt = build_prompt(None, self.face_cards_as_10, self.target)
            self._images = [render_hand(self.cards, self.card_suits)]
            content: Any = [{"type": "image"}, {"type": "text", "text": prompt}]
        else:
            self._images = []
            content = build_prompt(self.cards, self.face_cards_as_10, self.target)
        self._messages = [{"role": "user", "content": content}]
        info = {
            "cards": list(self.cards),
            "suits": list(self.card_suits),
            "numbers": list(self.numbers),
            "solutions": list(self.solutions),
        }
        return self._observation(), info

    def step(self, action: str) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        if self._done:
            raise RuntimeError("the episode is over; call reset() before step()")
        text = action if isinstance(action, str) else str(action)
        self._attempt += 1
        self._messages.append({"role": "assistant", "content": text})
        # The solution list (up to ~200 strings) is in reset's info only: step info is stored with every turn.
        info: dict[str, Any] = {
            "attempt": self._attempt,
            "cards": list(self.cards),
            "suits": list(self.card_suits),
            "numbers": list(self.numbers),
        }
        if self._attempt > self.max_attempts:
            self._done = True
            feedback = f"all {self.max_attempts} attempts are used up"
            info.update(feedback=feedback, formula=None, success=False, outcome="exhausted", graded=False)
            return self._observation(), self.rewards.exhausted, False, True, info
        answer = read_answer(text)
        result: Grade | None = None
        if self.modality == "vision":
            recognised = None if answer.cards is None else [card.strip() for card in answer.cards]
            correct = recognised is not None and sorted(recognised) == self._sorted_cards
            kept = None if recognised is None else [card[:20] for card in recognised[:INFO_CARDS]]
            info.update(recognised_cards=kept, recognition_correct=correct)
            if not correct:
                if recognised is None:
                    feedback = "no recognised cards were found in the answer"
                else:
                    shown = ", ".join(repr(card[:20]) for card in recognised[:8])
                    more = ", ..." if len(recognised) > 8 else ""
                    feedback = f"the cards you recognised, [{shown}{more}], are not the cards shown"
                result = Grade(self.rewards.recognition, feedback, False, "recognition")
        if result is None:
            result = grade(answer.formula, self.numbers, self.solutions, self.target, self.rewards)
        info.update(
            feedback=result.feedback,
            formula=None if answer.formula is None else quote(answer.formula, INFO_CHARS),
            success=result.success,
            outcome=result.outcome,
            graded=True,
        )
        if result.success:
            self._done = True
        else:
            self._messages.append({"role": "user", "content": f"{FAILURE_PREFIX}{result.feedback}."})
        return self._observation(), result.reward, result.success, False, info

    def _observation(self) -> dict[str, Any]:
        return {"messages": list(self._messages), "images": list(self._images)}
