"""`sft` stage: TRL's SFTTrainer on solver-made GeneralPoints answers (settings: `train.sft.SFTConfig`).

Inputs: `model` (a model folder or id); optional `dataset` (a saved SFT dataset, e.g. an earlier stage's).
Outputs: `checkpoint` (the final model), `checkpoints` (the checkpoint log) and `dataset`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent_rl.models.image_inputs import input_resize
from agent_rl.stages import StageContext
from agent_rl.train.gp_data import build_sft_dataset, load_sft_dataset
from agent_rl.train.sft import SFTConfig, TrainerSettings, train_sft

Config = SFTConfig


def run(config: Config, ctx: StageContext) -> dict[str, str]:
    if "dataset" in ctx.artifacts:
        dataset_dir = ctx.path("dataset")
        dataset = load_sft_dataset(dataset_dir)
    else:
        dataset_dir = ctx.stage_dir / "dataset"
        vision = config.data.env.modality == "vision"
        resize = input_resize(ctx.resolve("model")) if vision else None
        dataset = build_sft_dataset(config.data, dataset_dir, resize)
    return train_on(dataset, dataset_dir, config, ctx)


def train_on(dataset: Any, dataset_dir: Path, config: TrainerSettings, ctx: StageContext) -> dict[str, str]:
    """SFTTrainer on `dataset` from the stage's `model`; the outputs of `sft` (and `pretrain`)."""
    final, _ = train_sft(
        ctx.resolve("model"), dataset, config, ctx.stage_dir, ctx.run_dir, ctx.logger, ctx.seed, ctx.resume
    )
    return {
        "checkpoint": ctx.rel(final),
        "checkpoints": ctx.rel(ctx.stage_dir / "checkpoints.json"),
        "dataset": ctx.rel(dataset_dir),
    }
