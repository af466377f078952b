"""`rl` stage: multi-turn RL with turn-level credit (settings: `train.rl.RLConfig`).

Two modes, chosen by the inputs:

- `model` alone: on-policy RL on GeneralPoints (`train.gp_rl`), `iterations` rounds of play then update;
- `model` and `episodes` (a store of scored episodes, e.g. judged web episodes): one update on them.

Outputs: `checkpoint` (the last) and `checkpoints` (the log with tokens and compute). `--resume` continues
from the newest complete checkpoint.
"""

from __future__ import annotations

import logging
import random
from pathlib import Path

from agent_rl.stages import StageContext
from agent_rl.train.gp_rl import train_on_generalpoints
from agent_rl.train.learner import CheckpointLog, latest_checkpoint
from agent_rl.train.rl import RLConfig, RLTrainer, learn_from_store

Config = RLConfig
log = logging.getLogger("agent_rl.stages.rl")


def run(config: Config, ctx: StageContext) -> dict[str, str]:
    init = ctx.resolve("model")
    last = latest_checkpoint(ctx.stage_dir) if ctx.resume else None
    trainer = RLTrainer(str(last or init), config, ctx.seed)
    state = trainer.load_state(last) if last else {"iteration": 0, "tokens": 0}
    if last:
        log.info("resuming RL from %s (iteration %d)", last, state["iteration"])
    inside = Path(init).exists() and Path(init).resolve().is_relative_to(ctx.run_dir.resolve())
    checkpoints = CheckpointLog(
        ctx.stage_dir / "checkpoints.json",
        init=ctx.rel(Path(init)) if inside else init,
        parameters=trainer.n_params,
    )
    outputs = {"checkpoints": ctx.rel(ctx.stage_dir / "checkpoints.json")}
    if "episodes" in ctx.artifacts:
        metrics = learn_from_store(trainer, ctx.path("episodes"), random.Random(ctx.seed))
        ctx.logger.log({"iteration": 1, **metrics})
        folder = ctx.stage_dir / "checkpoint-1"
        trainer.save(folder, 1, {"tokens": metrics["tokens"]})
        flops = 6.0 * trainer.n_params * metrics["tokens"]  # the rollouts were counted where they ran
        checkpoints.add(1, ctx.rel(folder), metrics["tokens"], flops)
        return {"checkpoint": ctx.rel(folder), **outputs}
    train_on_generalpoints(trainer, state, ctx.stage_dir, checkpoints, ctx.logger, ctx.seed, ctx.rel)
    return {"checkpoint": ctx.rel(latest_checkpoint(ctx.stage_dir)), **outputs}
