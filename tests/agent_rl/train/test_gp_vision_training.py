"""The vision path end to end on a tiny VLM: SFT rows carry the rendered image, RL re-encodes the pixels."""

import json
from pathlib import Path

import pytest

from agent_rl.runlog import MetricsLogger
from agent_rl.stages import StageContext, rl, sft
from agent_rl.train.gp_data import load_sft_dataset
from envs.generalpoints import OUTCOMES

pytestmark = pytest.mark.e2e


def test_vision_sft_then_rl_steps(tmp_path: Path):
    from agent_rl.models.tiny import build_tiny_vlm

    build_tiny_vlm(tmp_path / "model", seed=0, hidden_size=64, layers=1, image_size=64, patch_size=16)

    def ctx(name, artifacts):
        (tmp_path / name).mkdir()
        return StageContext(tmp_path, tmp_path / name, artifacts, MetricsLogger(tmp_path / name), 0, False)

    vision = {"modality": "vision"}
    config = sft.Config(data={"hands": 8, "env": vision}, max_steps=2, batch_size=2, lr=1e-3, logging_steps=1)
    made = sft.run(config, ctx("sft", {"model": "model"}))
    rows = load_sft_dataset(tmp_path / made["dataset"])
    assert rows[0]["images"][0].size == (64, 64)  # the env's table image, stored at the model's input size
    assert rows[0]["prompt"][0]["content"][0]["type"] == "image"
    assert json.loads(rows[0]["completion"][0]["content"])["cards"] == rows[0]["cards"]

    config = rl.Config(
        env={**vision, "max_attempts": 1},
        iterations=1,
        hands_per_iter=2,
        group_size=2,
        max_new_tokens=8,
        micro_batch_size=2,
        minibatch_size=4,
    )
    trained = rl.run(config, ctx("rl", {"model": made["checkpoint"]}))
    record = MetricsLogger(tmp_path / "rl").records()[-1]
    assert record["turns"] == 4 and record["update_s"] > 0
    assert sum(record[f"outcome/{name}"] for name in OUTCOMES) == pytest.approx(1.0)  # every attempt graded
    assert (tmp_path / trained["checkpoint"] / "config.json").exists()


def test_rl_with_freeze_vision_leaves_the_tower_out_of_the_optimiser(tmp_path: Path):
    from agent_rl.models.tiny import build_tiny_vlm
    from agent_rl.train.rl import RLConfig, RLTrainer

    path = build_tiny_vlm(tmp_path / "vlm", hidden_size=32, layers=1, image_size=64, patch_size=16)
    trainer = RLTrainer(str(path), RLConfig(freeze_vision=True), seed=0)
    optimised = {id(p) for group in trainer.learner.optimizer.param_groups for p in group["params"]}
    named = dict(trainer.learner.policy.named_parameters())
    tower = [p for name, p in named.items() if ".vision_tower." in name]
    rest = [p for name, p in named.items() if ".vision_tower." not in name]
    assert tower and not any(id(p) in optimised for p in tower)
    assert all(id(p) in optimised for p in rest)
