"""`pretrain` stage: causal-LM pretraining on generated general-knowledge text, the tiny model's stand-in for a
real base model's pretraining (arithmetic, stated rules, card names; see `train.gp_pretrain_data`).

Input: `model`. Outputs: `checkpoint` (the final model), `checkpoints` (the log with tokens and compute, as in
`sft`) and `dataset` (the generated text). Training is TRL's SFTTrainer on `text` rows: every token is a target.
"""

from __future__ import annotations

from agent_rl.core.bounds import Count
from agent_rl.stages import StageContext
from agent_rl.stages.sft import train_on
from agent_rl.train.gp_pretrain_data import PretrainTextConfig, build_pretrain_dataset
from agent_rl.train.sft import TrainerSettings


class Config(TrainerSettings):
    text: PretrainTextConfig = PretrainTextConfig()
    max_length: Count | None = 256  # a document is a few short lines


def run(config: Config, ctx: StageContext) -> dict[str, str]:
    dataset_dir = ctx.stage_dir / "dataset"
    return train_on(build_pretrain_dataset(config.text, dataset_dir), dataset_dir, config, ctx)
