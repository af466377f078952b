"""`grpo_trl` stage: TRL's stock GRPOTrainer on single-turn GeneralPoints (settings:
`train.grpo_trl.GRPOSettings`), for comparison with the `rl` stage.

Input: `model`. Outputs: `checkpoint` (final) and `checkpoints` (log with compute, as in `rl`).
"""

from __future__ import annotations

from agent_rl.stages import StageContext
from agent_rl.train.grpo_trl import GRPOSettings, build_trainer
from agent_rl.train.learner import CheckpointLog, count_parameters, latest_checkpoint

Config = GRPOSettings


def run(config: Config, ctx: StageContext) -> dict[str, str]:
    from transformers import TrainerCallback

    init = ctx.resolve("model")

    class Log(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if state.is_world_process_zero and logs:
                ctx.logger.log(
                    {
                        "step": state.global_step,
                        **{k: v for k, v in logs.items() if isinstance(v, (int, float))},
                    }
                )

    trainer, loaded = build_trainer(init, config, str(ctx.stage_dir), ctx.seed, callbacks=[Log()])
    last = latest_checkpoint(ctx.stage_dir) if ctx.resume else None
    trainer.train(resume_from_checkpoint=str(last) if last else None)
    final = ctx.stage_dir / "final"
    trainer.save_model(str(final))
    (loaded.processor or loaded.tokenizer).save_pretrained(final)
    n = count_parameters(loaded.model)
    tokens = float(trainer.state.num_input_tokens_seen or 0)
    log = CheckpointLog(ctx.stage_dir / "checkpoints.json", init=init, parameters=n)
    log.add(
        trainer.state.global_step,
        ctx.rel(final),
        tokens,
        6.0 * n * tokens + 2.0 * n * config.compute_lambda * tokens,
    )
    return {"checkpoint": ctx.rel(final), "checkpoints": ctx.rel(ctx.stage_dir / "checkpoints.json")}
