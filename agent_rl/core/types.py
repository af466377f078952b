"""The episode: the unit that is stored, trained on and reported.

Chat messages follow the Hugging Face / OpenAI layout: `{"role": ..., "content": str | list[part]}` where a
part is `{"type": "text", "text": ...}` or `{"type": "image"}`. Images travel beside the messages, in the
order their parts appear (PIL images in memory, file paths once stored).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

Message = dict[str, Any]


@dataclass
class Turn:
    """One model reply and what the environment made of it."""

    messages: list[Message]  # the prompt the model saw at this turn (whole history)
    response: str
    reward: float = 0.0
    prompt_token_ids: list[int] | None = None
    response_token_ids: list[int] | None = None
    response_logprobs: list[float] | None = None
    images: list[Any] = field(default_factory=list)  # PIL images or stored file paths
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class Episode:
    episode_id: str
    task: dict[str, Any]
    seed: int | None = None
    model_revision: str = ""
    turns: list[Turn] = field(default_factory=list)
    success: bool = False
    truncated: bool = False
    error: str | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def task_key(self) -> str:
        """What makes two episodes the same task (for groups and per-task filters): its id, else its intent."""
        task = self.task or {}
        return str(task.get("task_id", task.get("intent", sorted(task.items()))))

    @property
    def total_reward(self) -> float:
        return float(sum(t.reward for t in self.turns))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Episode:
        data = dict(data)
        data["turns"] = [Turn(**t) for t in data.get("turns", [])]
        return cls(**data)
