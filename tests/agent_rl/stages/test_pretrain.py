"""The `pretrain` stage: causal LM on the generated text lowers the loss on every token of it."""

import json

import pytest

from agent_rl.runlog import MetricsLogger
from agent_rl.stages import StageContext, pretrain

pytestmark = pytest.mark.e2e


def test_pretrain_learns_the_generated_text(tmp_path):
    import torch

    from agent_rl.models.loading import load_model
    from agent_rl.models.tiny import build_tiny_text_model
    from agent_rl.train.gp_pretrain_data import PretrainTextConfig, pretrain_documents

    build_tiny_text_model(tmp_path / "model", seed=0, hidden_size=64, layers=1)
    config = pretrain.Config(
        text={"documents": 400}, max_steps=60, lr=3e-3, batch_size=8, logging_steps=10, save_steps=30
    )
    ctx = StageContext(
        tmp_path, tmp_path / "pretrain", {"model": "model"}, MetricsLogger(tmp_path / "pretrain"), 0, False
    )
    artifacts = pretrain.run(config, ctx)

    held_out = "\n".join(pretrain_documents(PretrainTextConfig(documents=4, seed=99)))

    def loss(folder):
        loaded = load_model(str(folder), device="cpu")
        ids = loaded.tokenizer(held_out, return_tensors="pt").input_ids
        with torch.no_grad():
            return loaded.model(input_ids=ids, labels=ids).loss.item()

    before, after = loss(tmp_path / "model"), loss(tmp_path / artifacts["checkpoint"])
    assert after < 0.6 * before, (before, after)  # text it never saw, from the same generator
    log = json.loads((tmp_path / artifacts["checkpoints"]).read_text())
    assert [c["step"] for c in log["checkpoints"]] == [30, 60]
    assert log["checkpoints"][-1]["flops"] == pytest.approx(
        6 * log["parameters"] * log["checkpoints"][-1]["tokens"]
    )
