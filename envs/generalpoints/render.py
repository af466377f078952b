"""Card faces drawn with Pillow (no third-party art) and the study's table image.

The table is a 1200x1200 casino-green (#35654d) canvas with the four cards (270x378 each) left to right, evenly
spaced and vertically centred. A card is white with a rounded border, the rank and a small suit glyph in two
opposite corners and a large suit glyph in the middle. Suit glyphs are drawn as shapes (circles and polygons),
so they look the same on every machine; hearts and diamonds are red, spades and clubs black.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

CANVAS_SIZE = 1200
TABLE_GREEN = (0x35, 0x65, 0x4D)
CARD_SIZE = (270, 378)
RED = (200, 16, 46)
BLACK = (20, 20, 20)
SUIT_COLOURS = {"hearts": RED, "diamonds": RED, "spades": BLACK, "clubs": BLACK}


def _draw_suit(draw: ImageDraw.ImageDraw, suit: str, cx: float, cy: float, size: float, colour) -> None:
    """A suit glyph of height `size` centred on (cx, cy)."""
    h = size / 2
    if suit == "diamonds":
        draw.polygon([(cx, cy - h), (cx + 0.7 * h, cy), (cx, cy + h), (cx - 0.7 * h, cy)], fill=colour)
        return
    r = 0.5 * h
    if suit == "hearts":
        for dx in (-r, r):
            draw.ellipse([cx + dx - r, cy - h, cx + dx + r, cy - h + 2 * r], fill=colour)
        draw.polygon([(cx - 2 * r, cy - h + r), (cx + 2 * r, cy - h + r), (cx, cy + h)], fill=colour)
        return
    # spades and clubs share the stem
    draw.polygon([(cx, cy + 0.2 * h), (cx - 0.45 * h, cy + h), (cx + 0.45 * h, cy + h)], fill=colour)
    if suit == "spades":
        for dx in (-r, r):
            draw.ellipse([cx + dx - r, cy - 0.1 * h, cx + dx + r, cy - 0.1 * h + 2 * r], fill=colour)
        draw.polygon([(cx - 2 * r, cy + 0.35 * h), (cx + 2 * r, cy + 0.35 * h), (cx, cy - h)], fill=colour)
    else:
        small = 0.42 * h
        for dx, dy in ((0, -0.5 * h), (-0.5 * h, 0.15 * h), (0.5 * h, 0.15 * h)):
            draw.ellipse([cx + dx - small, cy + dy - small, cx + dx + small, cy + dy + small], fill=colour)


@lru_cache(maxsize=64)
def card_face(label: str, suit: str) -> Image.Image:
    """One 270x378 card face (cached: there are only 52)."""
    width, height = CARD_SIZE
    colour = SUIT_COLOURS[suit]
    card = Image.new("RGB", CARD_SIZE, TABLE_GREEN)
    draw = ImageDraw.Draw(card)
    draw.rounded_rectangle(
        [0, 0, width - 1, height - 1], radius=18, fill="white", outline=(90, 90, 90), width=3
    )
    font = ImageFont.load_default(size=56)
    corner = Image.new("RGBA", (90, 130), (0, 0, 0, 0))
    corner_draw = ImageDraw.Draw(corner)
    corner_draw.text((45, 34), label, font=font, fill=colour, anchor="mm")
    _draw_suit(corner_draw, suit, 45, 92, 40, colour)
    card.paste(corner, (8, 8), corner)
    flipped = corner.rotate(180)
    card.paste(flipped, (width - 98, height - 138), flipped)
    _draw_suit(draw, suit, width / 2, height / 2, 110, colour)
    return card


def render_hand(labels: Sequence[str], suits: Sequence[str]) -> Image.Image:
    """The 1200x1200 table image with the four cards left to right."""
    canvas = Image.new("RGB", (CANVAS_SIZE, CANVAS_SIZE), TABLE_GREEN)
    width, height = CARD_SIZE
    gap = (CANVAS_SIZE - len(labels) * width) // (len(labels) + 1)
    top = (CANVAS_SIZE - height) // 2
    for i, (label, suit) in enumerate(zip(labels, suits, strict=True)):
        canvas.paste(card_face(label, suit), (gap + i * (width + gap), top))
    return canvas
