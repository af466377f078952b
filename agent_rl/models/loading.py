"""Load any causal LM or VLM (built-in name, local folder or hub id) through the one `from_pretrained` path."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from agent_rl.errors import UserError
from agent_rl.models.builtin import builtin_path, is_builtin


class LoadedModel(NamedTuple):
    model: Any
    tokenizer: Any  # always present; for a VLM it is `processor.tokenizer`
    processor: Any | None  # the multimodal processor of a VLM, None for a text model


def _not_found(path_or_id: str, err: Exception) -> UserError:
    return UserError(
        f"model {path_or_id!r} not found: pass a built-in name (smollm2-135m), a local folder made by "
        f"`agent-rl model tiny --out DIR` or a Hugging Face model id that is cached or reachable ({type(err).__name__}: {str(err).splitlines()[0]})"
    )


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def is_vision_config(config: Any) -> bool:
    return getattr(config, "vision_config", None) is not None


VISION_TOWERS = ("vision_tower", "visual", "vision_model")  # LLaVA, Qwen2-VL, Mllama


def freeze_vision_tower(model: Any) -> int:
    """Stop gradients to a VLM's vision encoder (LLaVA's recipe: its projector and language model train);
    the number of parameters frozen."""
    towers = [module for name, module in model.named_modules() if name.rsplit(".", 1)[-1] in VISION_TOWERS]
    if not towers:
        raise UserError(
            "freeze_vision is for a VLM, and this model has no vision tower "
            f"(a module named {', '.join(VISION_TOWERS)}): remove freeze_vision or load a VLM"
        )
    frozen = 0
    for tower in towers:
        for parameter in tower.parameters():
            if parameter.requires_grad:
                parameter.requires_grad_(False)
                frozen += parameter.numel()
    return frozen


def resolve_model(path_or_id: str | Path) -> str:
    """A built-in name becomes its cached folder (made on first use); anything else passes through."""
    name = str(path_or_id)
    return str(builtin_path(name)) if is_builtin(name) else name


def load_model(
    path_or_id: str | Path,
    *,
    vision: bool | None = None,
    dtype: str | Any = "auto",
    device: str | None = None,
) -> LoadedModel:
    """Model in eval mode plus its tokenizer (and processor for a VLM).

    `vision=None` decides from the config (a `vision_config` means a VLM). `dtype="auto"` is bfloat16 on a GPU
    and float32 on the CPU, where bfloat16 matmuls are slow.
    """
    import torch
    from transformers import (
        AutoConfig,
        AutoModelForCausalLM,
        AutoModelForImageTextToText,
        AutoProcessor,
        AutoTokenizer,
    )

    name = resolve_model(path_or_id)
    local = Path(name).expanduser()
    if local.exists():
        if not (local / "config.json").is_file():
            raise UserError(
                f"{local} has no config.json: pass a folder made by `agent-rl model tiny --out DIR`"
            )
        name = str(local)
    try:
        config = AutoConfig.from_pretrained(name)
    except (OSError, ValueError) as err:
        raise _not_found(name, err) from None
    vision = is_vision_config(config) if vision is None else vision
    device = device or default_device()
    if dtype == "auto":
        dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    elif isinstance(dtype, str):
        dtype = getattr(torch, dtype)
    try:
        if vision:
            processor = AutoProcessor.from_pretrained(name)
            tokenizer = processor.tokenizer
            model = AutoModelForImageTextToText.from_pretrained(name, dtype=dtype)
        else:
            processor = None
            tokenizer = AutoTokenizer.from_pretrained(name)
            model = AutoModelForCausalLM.from_pretrained(name, dtype=dtype)
    except OSError as err:
        raise _not_found(name, err) from None
    if tokenizer.pad_token_id is None:  # many chat models ship without one; generation needs it for batching
        tokenizer.pad_token = tokenizer.eos_token
    model.to(device).eval()
    return LoadedModel(model, tokenizer, processor)
