"""`sft` stage: TRL's SFTTrainer on solver-made GeneralPoints answers (settings: `train.sft.SFTConfig`).

Inputs: `model` (a model folder or id); optional `dataset` (a saved SFT dataset, e.g. an earlier stage's).
Outputs: `checkpoint` (the final model), `checkpoints` (the checkpoint log) and `dataset`.
"""

from __future__ import annotations

from agent_rl.stages import StageContext
from agent_rl.train.gp_data import build_sft_dataset, load_sft_dataset
from agent_rl.train.sft import SFTConfig, train_sft

Config = SFTConfig


def run(config: Config, ctx: StageContext) -> dict[str, str]:
    if "dataset" in ctx.artifacts:
        dataset_dir = ctx.path("dataset")
        dataset = load_sft_dataset(dataset_dir)
    else:
        dataset_dir = ctx.stage_dir / "dataset"
        dataset = build_sft_dataset(config.data, dataset_dir)
    final, _ = train_sft(
        ctx.resolve("model"), dataset, config, ctx.stage_dir, ctx.run_dir, ctx.logger, ctx.seed, ctx.resume
    )
    return {
        "checkpoint": ctx.rel(final),
        "checkpoints": ctx.rel(ctx.stage_dir / "checkpoints.json"),
        "dataset": ctx.rel(dataset_dir),
    }
