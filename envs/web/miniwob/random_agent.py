"""A random web agent as a `Backend`: it clicks or types into an element picked from the prompt's page."""

from __future__ import annotations

import random
import re

from agent_rl.backends.base import ChatPrompt, Generation, SamplingParams

_ELEMENT = re.compile(r"^\s*\[(\d+)\] (\w+)", re.M)  # "[12] link 'Sign in'" lines of the tree
_TYPABLE = {"textbox", "searchbox", "combobox", "spinbutton"}
_WORDS = ("yes", "hello", "alpha", "42", "Oslo", "blue")


class RandomWebAgent:
    """Uniform over the page's elements: click one, or type a random word into a text field."""

    name = "random"

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(seed)

    def generate(self, prompts: list[ChatPrompt], params: SamplingParams) -> list[Generation]:
        if params.seed is not None:
            self._rng.seed(params.seed)
        return [Generation(text=self._act(prompt)) for prompt in prompts]

    def _act(self, prompt: ChatPrompt) -> str:
        content = prompt.messages[-1]["content"]
        text = content if isinstance(content, str) else " ".join(p.get("text", "") for p in content)
        page = text.split("Accessibility tree:", 1)[-1]
        elements = [(int(i), role) for i, role in _ELEMENT.findall(page) if role != "RootWebArea"]
        if not elements:
            return "Action: scroll [down]"
        element, role = self._rng.choice(elements)
        if role in _TYPABLE and self._rng.random() < 0.5:
            return f"Action: type [{element}] [{self._rng.choice(_WORDS)}] [1]"
        return f"Action: click [{element}]"
