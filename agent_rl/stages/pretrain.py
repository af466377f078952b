"""`pretrain` stage: the tiny model's stand-in for a real base model's pretraining, on generated data.

- `text` (the default): causal LM on general-knowledge documents (arithmetic, stated rules, card names; see
  `train.gp_pretrain_data`); every token is a target.
- `images` (a VLM): rendered card tables and captions naming their cards (see `train.gp_pretrain_images`), in
  LLaVA's feature-alignment layout: the loss covers the caption only. `max_length` then defaults to none, as
  a row's length counts its image tokens.
A stage trains on one of them; chain two `pretrain` stages to give a VLM both.

Input: `model`. Outputs: `checkpoint` (the final model), `checkpoints` (the log with tokens and compute, as in
`sft`) and `dataset` (the generated rows). Training is TRL's SFTTrainer, as in `sft`.
"""

from __future__ import annotations

from pydantic import model_validator

from agent_rl.core.bounds import Count
from agent_rl.models.image_inputs import input_resize
from agent_rl.stages import StageContext
from agent_rl.stages.sft import train_on
from agent_rl.train.gp_pretrain_data import PretrainTextConfig, build_pretrain_dataset
from agent_rl.train.gp_pretrain_images import PretrainImageConfig
from agent_rl.train.sft import TrainerSettings


class Config(TrainerSettings):
    text: PretrainTextConfig | None = PretrainTextConfig()
    images: PretrainImageConfig | None = None
    max_length: Count | None = 256  # a document is a few short lines

    @model_validator(mode="after")
    def _one_source(self) -> Config:
        if self.images is None:
            if self.text is None:
                raise ValueError("give `text` or `images` to pretrain on")
            return self
        if self.text is not None and "text" in self.model_fields_set:
            raise ValueError("give `text` or `images`, not both: chain two pretrain stages to train on both")
        self.text = None
        if "max_length" not in self.model_fields_set:
            self.max_length = None
        return self

    @property
    def data(self) -> PretrainTextConfig | PretrainImageConfig:
        return self.images or self.text  # type: ignore[return-value]


def run(config: Config, ctx: StageContext) -> dict[str, str]:
    dataset_dir = ctx.stage_dir / "dataset"
    resize = input_resize(ctx.resolve("model")) if config.images else None
    return train_on(build_pretrain_dataset(config.data, dataset_dir, resize), dataset_dir, config, ctx)
