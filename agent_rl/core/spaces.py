"""Gymnasium spaces of text agents: raw text actions and chat observations with optional images.

A chat observation is a dict with `messages` (chat turns: `{"role": str, "content": str | [parts]}`, where a
part is `{"type": "text", "text": str}` or `{"type": "image"}`) and `images` (one PIL image or HxWxC uint8
array per image part, in order). Envs may add their own keys beside these two (the web env adds the page's
tree, elements and screenshots); the space checks the chat part, which is what agents and the runner read.
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np
from gymnasium import spaces

PRINTABLE = frozenset(string.printable)


def text_actions(max_length: int = 4096) -> spaces.Text:
    """Raw model text as the action: printable characters, the env parses (and never evaluates) it."""
    return spaces.Text(max_length=max_length, min_length=0, charset=PRINTABLE)


def _is_image(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.dtype == np.uint8 and value.ndim == 3
    return hasattr(value, "size") and hasattr(value, "mode")  # a PIL image


def _is_part(part: Any) -> bool:
    if not isinstance(part, dict):
        return False
    if part.get("type") == "text":
        return isinstance(part.get("text"), str)
    return part.get("type") == "image"


def _is_message(message: Any) -> bool:
    if not isinstance(message, dict) or not isinstance(message.get("role"), str):
        return False
    content = message.get("content")
    return isinstance(content, str) or (isinstance(content, list) and all(map(_is_part, content)))


class ChatObservation(spaces.Space[dict]):
    """Chat observations: `messages` and one image per image part in `images`."""

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(shape=None, dtype=None, seed=seed)

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def contains(self, x: Any) -> bool:
        if not isinstance(x, dict) or not isinstance(x.get("messages"), list):
            return False
        images = x.get("images", [])
        if not isinstance(images, list) or not all(map(_is_image, images)):
            return False
        if not all(map(_is_message, x["messages"])):
            return False
        slots = sum(
            1
            for m in x["messages"]
            if isinstance(m["content"], list)
            for part in m["content"]
            if part["type"] == "image"
        )
        return slots == len(images)

    def sample(self, mask: Any = None, probability: Any = None) -> dict:
        """A one-turn chat with random text (spaces are sampled by users' wrappers and by check_env)."""
        text = "".join(self.np_random.choice(list(string.ascii_letters), size=12))
        return {"messages": [{"role": "user", "content": text}], "images": []}

    def __repr__(self) -> str:
        return "ChatObservation()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChatObservation)
