"""Tiny local models shared by the agent_rl tests: built once per session (a second or two each)."""

from pathlib import Path

import pytest

from agent_rl.models.tiny import build_tiny_text_model, build_tiny_vlm


@pytest.fixture(scope="session")
def tiny_text_model(tmp_path_factory) -> Path:
    return build_tiny_text_model(tmp_path_factory.mktemp("tiny-text"), seed=0)


@pytest.fixture(scope="session")
def tiny_vlm(tmp_path_factory) -> Path:
    return build_tiny_vlm(tmp_path_factory.mktemp("tiny-vlm"), seed=0)


@pytest.fixture(scope="session")
def smollm2_dir() -> Path:
    """The built-in SmolLM2-135M-Instruct folder in the user's cache (converted on this machine's first use)."""
    from agent_rl.models.builtin import builtin_path

    return builtin_path("smollm2-135m")
