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
