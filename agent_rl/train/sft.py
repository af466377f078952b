"""The `sft` stage: TRL's SFTTrainer on solver-made GeneralPoints answers (text models and VLMs).

The loss covers the completion only (prompt/completion rows). Options: LoRA through PEFT (merged into the
saved checkpoints, so every later stage loads a plain model), a DeepSpeed ZeRO config, checkpoints every
`save_steps`. Each checkpoint is listed in `checkpoints.json` with the tokens trained on so far and the
training compute 6·N·D, which the `compare` stage plots against.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agent_rl.core.bounds import Count, LearningRate, NonNegative, Positive
from agent_rl.errors import describe
from agent_rl.models.lora import LoraOptions, lora_config, merged_copy
from agent_rl.train.gp_data import DataConfig, build_sft_dataset
from agent_rl.train.learner import CheckpointLog, count_parameters, deepspeed_setting, latest_checkpoint

log = logging.getLogger("agent_rl.train.sft")
# transformers' schedulers that need no settings beyond the warm-up
SchedulerName = Literal[
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "constant",
    "constant_with_warmup",
    "inverse_sqrt",
]


class TrainerSettings(BaseModel):
    """SFTTrainer settings shared by the `sft` and `pretrain` stages."""

    model_config = ConfigDict(extra="forbid")

    epochs: Positive = 1.0
    max_steps: int = Field(-1, ge=-1)  # overrides epochs when > 0
    lr: LearningRate = 2e-5
    lr_scheduler: SchedulerName = "cosine"
    warmup: NonNegative = 0.0  # steps, or a fraction of all steps when below 1
    batch_size: Count = 8
    grad_accum: Count = 1
    max_length: Count | None = 1024
    save_steps: Count | None = None  # a checkpoint every N optimiser steps (plus the final one)
    logging_steps: Count = 10
    lora: LoraOptions | None = None
    deepspeed: str | dict[str, Any] | None = None  # a ZeRO config file or dict; see zero_config()
    gradient_checkpointing: bool = False
    freeze_vision: bool = False  # a VLM's vision encoder stays as loaded (full-parameter training)

    @field_validator("max_steps")
    @classmethod
    def _steps_or_epochs(cls, value: int) -> int:
        if value == 0:
            raise ValueError("0 steps trains nothing: give a positive count, or -1 to train for `epochs`")
        return value

    @model_validator(mode="after")
    def _freeze_without_lora(self) -> TrainerSettings:
        if self.freeze_vision and self.lora is not None:
            raise ValueError(
                "freeze_vision is for full-parameter training; with LoRA, leave the vision tower's layers "
                "out of lora.target_modules instead"
            )
        return self


class SFTConfig(TrainerSettings):
    data: DataConfig = DataConfig()


def mean_tokens_per_row(dataset: Any, tokenizer: Any, sample: int = 64) -> float:
    """Average length in tokens of a row (prompt+completion, or plain `text`; image tokens excluded), used
    for compute accounting."""
    rows = dataset.select(range(min(sample, len(dataset))))
    lengths = []
    for row in rows:
        text = row.get("text") or tokenizer.apply_chat_template(
            row["prompt"] + row["completion"], tokenize=False
        )
        lengths.append(len(tokenizer(text, add_special_tokens=False)["input_ids"]))
    return sum(lengths) / max(1, len(lengths))


def _callbacks(
    config: TrainerSettings,
    out_dir: Path,
    ckpt_log: CheckpointLog,
    run_dir: Path,
    tokens_per_step: float,
    n_params: int,
    processing_class: Any,
    logger: Any,
):
    from transformers import TrainerCallback

    class Record(TrainerCallback):
        """Logs the loss to the stage's metrics and lists (LoRA: merges) each checkpoint as it is saved."""

        def on_log(self, args, state, control, logs=None, **kwargs):
            if state.is_world_process_zero and logs:
                logger.log(
                    {
                        "step": state.global_step,
                        **{k: v for k, v in logs.items() if isinstance(v, (int, float))},
                    }
                )

        def on_save(self, args, state, control, model=None, **kwargs):
            if not state.is_world_process_zero:
                return
            step = state.global_step
            folder = out_dir / f"checkpoint-{step}"
            if config.lora is not None:  # later stages load plain models: save the merged weights beside it
                folder = out_dir / f"merged-{step}"
                merged_copy(model).save_pretrained(folder)
                processing_class.save_pretrained(folder)
            tokens = tokens_per_step * step
            ckpt_log.add(step, str(folder.relative_to(run_dir)), tokens, 6.0 * n_params * tokens)

    return [Record()]


def train_sft(
    model_path: str,
    dataset: Any,
    config: TrainerSettings,
    out_dir: Path,
    run_dir: Path,
    logger: Any,
    seed: int = 0,
    resume: bool = False,
) -> tuple[Path, CheckpointLog]:
    """Train; return the final checkpoint folder (a plain model) and the checkpoint log. Prompt/completion
    rows train on the completion only; `text` rows (pretraining) on every token."""
    from trl import SFTConfig as TRLSFTConfig
    from trl import SFTTrainer

    from agent_rl.models.loading import freeze_vision_tower, load_model

    loaded = load_model(model_path, device="cpu")
    model, processing_class = loaded.model, loaded.processor or loaded.tokenizer
    model.train()
    if config.freeze_vision:
        log.info("vision tower frozen: %d parameters", freeze_vision_tower(model))
    n_params = count_parameters(model)
    import torch

    world = torch.distributed.get_world_size() if torch.distributed.is_initialized() else 1
    tokens_per_step = (
        mean_tokens_per_row(dataset, loaded.tokenizer) * config.batch_size * config.grad_accum * world
    )
    ckpt_log = CheckpointLog(out_dir / "checkpoints.json", init=str(model_path), parameters=n_params)
    on_gpu = torch.cuda.is_available()
    args = TRLSFTConfig(
        output_dir=str(out_dir),
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        learning_rate=config.lr,
        lr_scheduler_type=config.lr_scheduler,
        warmup_steps=config.warmup,
        per_device_train_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        max_length=config.max_length,
        save_strategy="steps" if config.save_steps else "no",
        save_steps=config.save_steps or 500,
        logging_steps=config.logging_steps,
        report_to=[],
        seed=seed,
        use_cpu=not on_gpu,
        bf16=on_gpu,
        deepspeed=deepspeed_setting(config.deepspeed),
        gradient_checkpointing=config.gradient_checkpointing,
        completion_only_loss="completion" in dataset.column_names,
        dataloader_num_workers=0,
        disable_tqdm=False,
    )
    peft_config = lora_config(config.lora) if config.lora is not None else None
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        processing_class=processing_class,
        peft_config=peft_config,
        callbacks=_callbacks(
            config, out_dir, ckpt_log, run_dir, tokens_per_step, n_params, processing_class, logger
        ),
    )
    last = latest_checkpoint(out_dir) if resume else None
    if last is not None:
        log.info("resuming SFT from %s", last)
    trainer.train(resume_from_checkpoint=str(last) if last else None)
    final = out_dir / "final"
    trained = trainer.model
    if config.lora is not None:
        trained = trained.merge_and_unload()
    if trainer.is_world_process_zero():
        trainer.save_model(str(final)) if config.lora is None else trained.save_pretrained(final)
        processing_class.save_pretrained(final)
        tokens = tokens_per_step * trainer.state.global_step
        ckpt_log.add(
            trainer.state.global_step,
            str(final.relative_to(run_dir)),
            tokens,
            6.0 * n_params * tokens,
            final=True,
        )
    return final, ckpt_log


def main(argv: list[str] | None = None) -> None:
    """Launch SFT outside a recipe, e.g. on several processes:
    `torchrun --nproc_per_node 2 -m agent_rl.train.sft --model DIR --out DIR --deepspeed zero2`."""
    import argparse

    from agent_rl.runlog import MetricsLogger

    parser = argparse.ArgumentParser(prog="python -m agent_rl.train.sft")
    parser.add_argument("--model", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--config", default="{}", help="the stage's settings as JSON, e.g. '{\"max_steps\": 2}'"
    )
    parser.add_argument("--deepspeed", default=None, help="zero2, zero3 or a DeepSpeed JSON file")
    args = parser.parse_args(argv)
    try:
        settings = json.loads(args.config)
        if not isinstance(settings, dict):
            raise ValueError("not a JSON object")
        config = SFTConfig.model_validate({**settings, "deepspeed": args.deepspeed})
    except ValidationError as err:
        parser.error(f"--config {describe(err)}")
    except ValueError as err:  # json's decode error is one
        parser.error(f"--config must be the settings as a JSON object, e.g. '{{\"max_steps\": 2}}' ({err})")
    args.out.mkdir(parents=True, exist_ok=True)
    dataset = build_sft_dataset(config.data, args.out / "dataset")
    train_sft(args.model, dataset, config, args.out, args.out, MetricsLogger(args.out))


if __name__ == "__main__":
    main()
