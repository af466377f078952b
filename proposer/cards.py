"""Card-hand proposer for GeneralPoints: the order in which dealt hands are shown (a curriculum).

The variants, the hands and their dealing are `envs.generalpoints.variants`; this module only orders them.
"""

from __future__ import annotations

from envs.generalpoints import Hand


def curriculum(hands: list[Hand]) -> list[Hand]:
    """The hands from easiest (most solutions) to hardest, ties kept in their dealt order."""
    return sorted(hands, key=lambda hand: hand.difficulty)
