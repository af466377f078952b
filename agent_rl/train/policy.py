"""The policy as the RL trainer sees it: a causal LM (or VLM) with an optional value head on the shared backbone.

A turn becomes one training sample: the prompt the model saw plus the tokens it sampled. The trainer recomputes
log-probabilities of those response tokens (and the value of the prompt's last position) in batches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from agent_rl.backends.tokens import prompt_token_ids, response_token_ids
from agent_rl.core.policy_gradient import token_logprobs
from agent_rl.core.types import Episode


@dataclass
class TurnSample:
    """One turn, tokenised: `input_ids` = prompt + response; the loss covers positions from `n_prompt` on."""

    input_ids: list[int]
    n_prompt: int
    advantage: float = 0.0
    value_target: float = 0.0
    extra: dict[str, torch.Tensor] = field(default_factory=dict)  # e.g. pixel_values for a VLM
    old_logprobs: torch.Tensor | None = None
    ref_logprobs: torch.Tensor | None = None
    old_value: float = 0.0

    @property
    def n_response(self) -> int:
        return len(self.input_ids) - self.n_prompt


def hidden_size(model: Any) -> int:
    config = model.config
    return getattr(config, "hidden_size", None) or config.get_text_config().hidden_size


class PolicyWithValue(nn.Module):
    """Wraps the LM so accelerate/DeepSpeed prepare one module; `value_head` is None for critic-free RL."""

    def __init__(self, model: nn.Module, with_value: bool) -> None:
        super().__init__()
        self.model = model
        self.value_head = nn.Linear(hidden_size(model), 1) if with_value else None
        if self.value_head is not None:
            nn.init.zeros_(self.value_head.weight)
            nn.init.zeros_(self.value_head.bias)

    def forward(self, input_ids, attention_mask, **extra):
        out = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            output_hidden_states=self.value_head is not None,
            use_cache=False,
            **extra,
        )
        values = None
        if self.value_head is not None:
            values = self.value_head(out.hidden_states[-1].float()).squeeze(-1)
        return out.logits, values


def collate(samples: list[TurnSample], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-padded batch with a response mask aligned to next-token predictions (length L-1)."""
    width = max(len(s.input_ids) for s in samples)
    ids = torch.full((len(samples), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(samples), width), dtype=torch.long)
    response = torch.zeros((len(samples), width - 1), dtype=torch.float32)
    last_prompt = torch.zeros(len(samples), dtype=torch.long)
    for i, s in enumerate(samples):
        n = len(s.input_ids)
        ids[i, :n] = torch.tensor(s.input_ids)
        attention[i, :n] = 1
        response[i, s.n_prompt - 1 : n - 1] = 1.0  # logits at p predict token p+1
        last_prompt[i] = s.n_prompt - 1
    batch = {
        "input_ids": ids,
        "attention_mask": attention,
        "response_mask": response,
        "last_prompt": last_prompt,
    }
    if samples[0].extra:
        for key in samples[0].extra:
            batch[key] = torch.cat([s.extra[key] for s in samples])
    return batch


def forward_logprobs(
    policy: nn.Module, batch: dict[str, torch.Tensor], temperature: float = 1.0
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Per-position log-probs of the next token (B, L-1) and prompt values (B,) or None."""
    extra = {
        k: v
        for k, v in batch.items()
        if k not in ("input_ids", "attention_mask", "response_mask", "last_prompt")
    }
    logits, values = policy(batch["input_ids"], batch["attention_mask"], **extra)
    logits = logits[:, :-1] / temperature
    logprobs = token_logprobs(logits, batch["input_ids"][:, 1:])
    prompt_values = None
    if values is not None:
        prompt_values = values.gather(1, batch["last_prompt"].unsqueeze(1)).squeeze(1)
    return logprobs, prompt_values


def fill_token_ids(episodes: list[Episode], tokenizer: Any, processor: Any = None) -> None:
    """Tokenise turns that came without token ids (e.g. from an HTTP server or a human demo) through the
    backend's own tokenisation path (`agent_rl.backends.tokens`). Turns with sampled ids keep them."""
    for episode in episodes:
        for turn in episode.turns:
            if turn.response_token_ids:
                continue
            if turn.images and processor is None:
                continue  # a text model cannot train on an image turn
            turn.prompt_token_ids = prompt_token_ids(turn.messages, turn.images, tokenizer, processor)
            turn.response_token_ids = response_token_ids(turn.response, tokenizer)
