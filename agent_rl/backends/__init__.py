"""Generation backends behind one interface (`base.Backend`), chosen by a small spec.

`make_backend({"type": "transformers", "model": DIR, "max_batch_size": 16})` builds one; each type's module
is imported only when it is used, so GPU-only backends cost nothing where they are absent.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from typing import Any

from agent_rl.backends.base import Backend, ChatPrompt, Generation, SamplingParams
from agent_rl.errors import UserError

__all__ = [
    "Backend",
    "ChatPrompt",
    "Generation",
    "SamplingParams",
    "BACKEND_TYPES",
    "make_backend",
    "closing",
]

BACKEND_TYPES: dict[str, str] = {
    "transformers": "agent_rl.backends.transformers_backend:TransformersBackend",
    "openai": "agent_rl.backends.openai_backend:OpenAIBackend",
    "vllm": "agent_rl.backends.vllm_backend:VLLMBackend",
    "served": "agent_rl.backends.openai_server:ServedModel",
}
MODEL_BACKENDS = ("transformers", "vllm", "served")  # types that load a model from a path or id


def make_backend(spec: dict[str, Any] | Backend) -> Backend:
    """A backend from `{"type": ..., **constructor arguments}`; a ready backend object is passed through."""
    if not isinstance(spec, dict):
        return spec
    options = dict(spec)
    kind = options.pop("type", "transformers")
    if kind not in BACKEND_TYPES:
        raise UserError(f"unknown backend type {kind!r}; choose one of: {', '.join(BACKEND_TYPES)}")
    module_name, class_name = BACKEND_TYPES[kind].split(":")
    backend_class = getattr(importlib.import_module(module_name), class_name)
    try:
        return backend_class(**options)
    except TypeError as err:
        raise UserError(f"bad options for the {kind!r} backend: {err}") from None


@contextlib.contextmanager
def closing(backend: Backend) -> Iterator[Backend]:
    """Yield the backend and close it afterwards when it has something to close (a server, an engine)."""
    try:
        yield backend
    finally:
        close = getattr(backend, "close", None)
        if close is not None:
            close()
