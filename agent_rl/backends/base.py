"""The one interface every model call goes through: agent, proposer and judge alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from agent_rl.core.types import Message


@dataclass
class ChatPrompt:
    """A chat to continue. `images` hold the pictures for the `{"type": "image"}` parts, in order."""

    messages: list[Message]
    images: list[Any] = field(default_factory=list)


@dataclass
class SamplingParams:
    max_new_tokens: int = 256
    temperature: float = 1.0  # 0 means greedy
    top_p: float = 1.0
    seed: int | None = None
    stop: list[str] = field(default_factory=list)


@dataclass
class Generation:
    text: str
    prompt_token_ids: list[int] = field(default_factory=list)
    token_ids: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)  # one per generated token, under the sampling policy
    finish_reason: str = "stop"  # "stop" or "length"


class Backend(Protocol):
    """Anything that turns a batch of chat prompts into completions."""

    name: str

    def generate(self, prompts: list[ChatPrompt], params: SamplingParams) -> list[Generation]: ...


class Scorer(Protocol):
    """A backend that can also score given continuations (the in-process ones: transformers, served)."""

    def score(
        self, prompts: list[ChatPrompt], continuations: list[str], reply_starts: list[str] | None = None
    ) -> list[list[float]]:
        """log P(continuation | prompt, the start of the reply) summed over its tokens, per prompt and
        continuation: one row per prompt, one column per continuation."""
        ...
