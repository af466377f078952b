"""GeneralPoints, the card game of "SFT Memorizes, RL Generalizes" (Chu et al., 2025), text and vision.

See envs/generalpoints/env.py for the episode rules and rewards.py for the reward table and its grading order.
Importing this package registers the env: `gymnasium.make("agent_rl/GeneralPoints-v0", modality="vision")`.
"""

import gymnasium

from envs.generalpoints.cards import (
    BLACK_SUITS,
    FACE_LABELS,
    LABELS,
    RED_SUITS,
    SUIT_CHOICES,
    SUITS,
    card_value,
    card_values,
    deal_hand,
    deal_suits,
    normalise_label,
)
from envs.generalpoints.env import GeneralPointsEnv
from envs.generalpoints.formula import formula_value, read_answer
from envs.generalpoints.prompts import FAILURE_PREFIX, build_prompt, format_answer
from envs.generalpoints.render import render_hand
from envs.generalpoints.rewards import OUTCOMES, RewardConfig, grade
from envs.generalpoints.solver import is_solvable, solve
from envs.generalpoints.variants import (
    EVAL_EPISODES,
    SEEDS,
    VARIANTS,
    EnvOptions,
    Hand,
    Variant,
    deal,
    evaluation_hands,
    variant,
)

ENV_ID = "agent_rl/GeneralPoints-v0"
if ENV_ID not in gymnasium.registry:
    gymnasium.register(id=ENV_ID, entry_point="envs.generalpoints.env:GeneralPointsEnv")

__all__ = [
    "ENV_ID",
    "BLACK_SUITS",
    "EVAL_EPISODES",
    "OUTCOMES",
    "SEEDS",
    "VARIANTS",
    "EnvOptions",
    "Hand",
    "Variant",
    "deal",
    "evaluation_hands",
    "variant",
    "FACE_LABELS",
    "FAILURE_PREFIX",
    "LABELS",
    "RED_SUITS",
    "SUITS",
    "SUIT_CHOICES",
    "GeneralPointsEnv",
    "RewardConfig",
    "build_prompt",
    "card_value",
    "card_values",
    "deal_hand",
    "deal_suits",
    "format_answer",
    "formula_value",
    "grade",
    "is_solvable",
    "normalise_label",
    "read_answer",
    "render_hand",
    "solve",
]
