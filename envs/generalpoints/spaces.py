"""Gymnasium spaces for chat envs: free text actions, chat observations with optional images.

`gymnasium.spaces.Text` needs a finite character set, and a model may answer in any Unicode, so the action
space here is any string up to `max_length`. The observation is the chat so far in Hugging Face layout
(`{"messages": [...], "images": [...]}`, see agent_rl/core/types.py): a message's content is a string or a
list of parts `{"type": "text", "text": ...}` / `{"type": "image"}`, and the images, in order, match the
image parts.
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np
from gymnasium.spaces import Space
from PIL import Image

ROLES = frozenset({"system", "user", "assistant"})
_SAMPLE_CHARS = np.array(list(string.printable))


class TextSpace(Space[str]):
    """Any string of at most `max_length` characters (None: no bound)."""

    def __init__(self, max_length: int | None = None, seed: int | np.random.Generator | None = None):
        super().__init__(shape=None, dtype=None, seed=seed)
        self.max_length = max_length

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        """Printable ASCII text of a random length up to 64 characters (or `max_length`)."""
        longest = 64 if self.max_length is None else min(64, self.max_length)
        length = int(self.np_random.integers(0, longest + 1))
        return "".join(self.np_random.choice(_SAMPLE_CHARS, size=length))

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and (self.max_length is None or len(x) <= self.max_length)

    def __repr__(self) -> str:
        return f"TextSpace(max_length={self.max_length})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TextSpace) and other.max_length == self.max_length


class ChatSpace(Space[dict]):
    """A chat in Hugging Face layout; `vision` says whether image parts (and images) may appear."""

    def __init__(self, vision: bool = False, seed: int | np.random.Generator | None = None):
        super().__init__(shape=None, dtype=None, seed=seed)
        self.vision = vision
        self._text = TextSpace()

    @property
    def is_np_flattenable(self) -> bool:
        return False

    def seed(self, seed: int | None = None) -> int | list[int]:
        seeds = super().seed(seed)
        self._text.seed(int(self.np_random.integers(2**31)))
        return seeds

    def sample(self, mask: Any = None, probability: Any = None) -> dict[str, Any]:
        """A one-turn chat: a user message of random text, with one small random image in vision mode."""
        text = self._text.sample()
        if not self.vision:
            return {"messages": [{"role": "user", "content": text}], "images": []}
        pixels = self.np_random.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
        content = [{"type": "image"}, {"type": "text", "text": text}]
        return {"messages": [{"role": "user", "content": content}], "images": [Image.fromarray(pixels)]}

    def contains(self, x: Any) -> bool:
        if not isinstance(x, dict) or set(x) != {"messages", "images"}:
            return False
        messages, images = x["messages"], x["images"]
        if not isinstance(messages, list) or not isinstance(images, list):
            return False
        image_parts = 0
        for message in messages:
            if not isinstance(message, dict) or message.get("role") not in ROLES:
                return False
            content = message.get("content")
            if isinstance(content, str):
                continue
            if not isinstance(content, list):
                return False
            for part in content:
                if not isinstance(part, dict):
                    return False
                if part.get("type") == "image":
                    image_parts += 1
                elif part.get("type") != "text" or not isinstance(part.get("text"), str):
                    return False
        if image_parts and not self.vision:
            return False
        return image_parts == len(images) and all(isinstance(image, Image.Image) for image in images)

    def __repr__(self) -> str:
        return f"ChatSpace(vision={self.vision})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChatSpace) and other.vision == self.vision
