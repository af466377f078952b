"""Card-hand proposer: a curriculum from the easiest dealt hands to the hardest."""

import itertools

from envs.generalpoints import evaluation_hands
from proposer.cards import curriculum


def test_curriculum_orders_hands_by_difficulty_keeping_ties_in_dealt_order():
    hands = evaluation_hands("id", n=50)
    ordered = curriculum(hands)
    assert sorted(ordered, key=lambda h: h.index) == hands
    assert [h.n_solutions for h in ordered] == sorted((h.n_solutions for h in ordered), reverse=True)
    for a, b in itertools.pairwise(ordered):
        assert a.difficulty < b.difficulty or (a.difficulty == b.difficulty and a.index < b.index)
