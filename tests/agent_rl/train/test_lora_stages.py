"""LoRA in the `sft` stage (TRL's peft_config) and the `rl` stage's policy: both save plain merged models."""

import pytest
import torch

from agent_rl.models.loading import load_model
from agent_rl.models.lora import LoraOptions
from agent_rl.runlog import MetricsLogger
from agent_rl.stages import StageContext
from agent_rl.stages import rl as rl_stage
from agent_rl.stages import sft as sft_stage
from agent_rl.train.gp_data import DataConfig, EnvOptions
from agent_rl.train.rl import RLConfig, RLTrainer
from agent_rl.train.sft import SFTConfig

LORA = LoraOptions(r=4, alpha=8, dropout=0.0)


def context(run_dir, name, artifacts):
    (run_dir / name).mkdir(parents=True, exist_ok=True)
    return StageContext(
        run_dir, run_dir / name, artifacts, MetricsLogger(run_dir / name), seed=0, resume=False
    )


def changed_weights(before, after_dir) -> tuple[set[str], set[str]]:
    """Names of the weights that changed and that stayed equal."""
    after = dict(load_model(after_dir, device="cpu").model.named_parameters())
    changed = {n for n, p in before.named_parameters() if not torch.equal(p, after[n])}
    return changed, {n for n, _ in before.named_parameters()} - changed


def assert_plain_merged_lora(init_dir, checkpoint_dir):
    assert not (checkpoint_dir / "adapter_config.json").exists()
    changed, same = changed_weights(load_model(init_dir, device="cpu").model, checkpoint_dir)
    assert changed and all("proj" in n for n in changed)  # only adapted linear layers took an update
    assert "model.embed_tokens.weight" in same


@pytest.mark.e2e
def test_sft_stage_trains_lora_and_saves_merged(tiny_text_model, tmp_path):
    ctx = context(tmp_path, "sft", {"model": str(tiny_text_model)})
    config = SFTConfig(
        data=DataConfig(hands=8), max_steps=2, lr=1e-2, batch_size=4, lora=LORA, logging_steps=1
    )
    artifacts = sft_stage.run(config, ctx)
    assert_plain_merged_lora(tiny_text_model, tmp_path / artifacts["checkpoint"])


@pytest.mark.e2e
def test_rl_stage_trains_lora_and_saves_merged(tiny_text_model, tmp_path):
    config = RLConfig(
        env=EnvOptions(max_attempts=1),
        iterations=1,
        hands_per_iter=2,
        group_size=2,
        advantage="gae",  # the value loss reaches the adapters even when every reward ties
        epochs=1,
        lr=1e-2,
        max_new_tokens=16,
        lora=LORA,
    )
    ctx = context(tmp_path, "rl", {"model": str(tiny_text_model)})
    trainer = RLTrainer(str(tiny_text_model), config, seed=0)
    trainable = [n for n, p in trainer.learner.policy.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n or "value_head" in n for n in trainable)
    del trainer
    artifacts = rl_stage.run(config, ctx)
    assert_plain_merged_lora(tiny_text_model, tmp_path / artifacts["checkpoint"])
