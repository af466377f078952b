"""The table image: size, casino green, four cards left to right, red versus black suits."""

import numpy as np

from envs.generalpoints import render_hand
from envs.generalpoints.render import CARD_SIZE, TABLE_GREEN


def _card_pixels(image, index):
    """Pixels of the index-th card (cards are evenly spaced and vertically centred)."""
    width, height = CARD_SIZE
    gap = (1200 - 4 * width) // 5
    left, top = gap + index * (width + gap), (1200 - height) // 2
    return np.asarray(image)[top : top + height, left : left + width].reshape(-1, 3).astype(int)


def _reddish(pixels):
    return int(((pixels[:, 0] > 150) & (pixels[:, 1] < 80) & (pixels[:, 2] < 100)).sum())


def _dark(pixels):
    return int((pixels.max(axis=1) < 60).sum())


def test_canvas_size_green_and_card_layout():
    image = render_hand(["A", "10", "Q", "7"], ["spades", "clubs", "spades", "clubs"])
    assert image.size == (1200, 1200) and image.mode == "RGB"
    array = np.asarray(image)
    assert tuple(array[5, 5]) == TABLE_GREEN and tuple(array[600, 5]) == TABLE_GREEN
    assert tuple(array[100, 600]) == TABLE_GREEN  # above the cards
    for index in range(4):
        pixels = _card_pixels(image, index)
        assert (pixels.min(axis=1) > 240).mean() > 0.5  # mostly white card face


def test_red_suits_are_red_and_black_suits_are_black():
    red = render_hand(["5", "5", "5", "5"], ["hearts", "diamonds", "hearts", "diamonds"])
    black = render_hand(["5", "5", "5", "5"], ["spades", "clubs", "spades", "clubs"])
    for index in range(4):
        assert _reddish(_card_pixels(red, index)) > 2000 and _dark(_card_pixels(red, index)) == 0
        assert _dark(_card_pixels(black, index)) > 2000 and _reddish(_card_pixels(black, index)) == 0


def test_different_cards_look_different():
    a = np.asarray(render_hand(["A", "2", "3", "4"], ["spades"] * 4))
    b = np.asarray(render_hand(["A", "2", "3", "5"], ["spades"] * 4))
    c = np.asarray(render_hand(["A", "2", "3", "4"], ["spades", "spades", "spades", "clubs"]))
    assert (a != b).any() and (a != c).any()
    assert (a[:, :900] == b[:, :900]).all()  # only the fourth card changed
