"""LoRA through PEFT, shared by the `sft` stage (TRL's `peft_config`) and the `rl` stage's policy.

Checkpoints are always saved merged (`merged_copy`), so every later stage loads a plain model.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class LoraOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    r: int = Field(16, ge=1)
    alpha: int = Field(32, ge=1)
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: str | list[str] = "all-linear"  # every linear layer but the output head


def lora_config(options: LoraOptions):
    from peft import LoraConfig

    return LoraConfig(
        r=options.r,
        lora_alpha=options.alpha,
        lora_dropout=options.dropout,
        target_modules=options.target_modules,
        task_type="CAUSAL_LM",
    )


def add_lora(model: Any, options: LoraOptions) -> Any:
    """The model wrapped with fresh adapters; only the adapters train."""
    from peft import get_peft_model

    return get_peft_model(model, lora_config(options))


def merged_copy(model: Any) -> Any:
    """A plain model with the adapters merged in (a copy: training goes on); other models pass through."""
    from peft import PeftModel

    return copy.deepcopy(model).merge_and_unload() if isinstance(model, PeftModel) else model
