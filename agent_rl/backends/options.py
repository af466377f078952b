"""The one command-line syntax for choosing a backend: `--backend transformers|vllm|openai` (default
transformers) and `--base-url URL` for an OpenAI-compatible server."""

from __future__ import annotations

import argparse
from typing import Any

from agent_rl.errors import UserError

CLI_BACKENDS = ("transformers", "vllm", "openai")


def add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend", choices=CLI_BACKENDS, default="transformers", help="how the model is run"
    )
    parser.add_argument(
        "--base-url", default=None, help="OpenAI-compatible server URL (with --backend openai)"
    )


def backend_spec(args: argparse.Namespace, model: str) -> dict[str, Any]:
    """A `make_backend` spec for `model` from the parsed `--backend` / `--base-url`."""
    spec: dict[str, Any] = {"type": args.backend, "model": model}
    if args.backend == "openai":
        if not args.base_url:
            raise UserError("--backend openai needs --base-url (e.g. http://127.0.0.1:8000/v1)")
        spec["base_url"] = args.base_url
    elif args.base_url:
        raise UserError("--base-url goes with --backend openai")
    return spec
