"""`filtered_bc` stage: PAE's update on judged episodes (settings: `train.filtered_bc.FilteredBCConfig`).

Inputs: `model` (the checkpoint to train), `episodes` (an episode store folder), optionally `replay` (the
previous iteration's buffer). Outputs: `checkpoint`, `replay`.
"""

from __future__ import annotations

import logging
import random

from agent_rl.rollout.store import EpisodeStore
from agent_rl.stages import StageContext
from agent_rl.train.filtered_bc import FilteredBCConfig, select_shortest_successes, train_turns, update_replay

Config = FilteredBCConfig
log = logging.getLogger("agent_rl.stages.filtered_bc")


def run(config: Config, ctx: StageContext) -> dict[str, str]:
    episodes_store = EpisodeStore(ctx.path("episodes"))
    episodes = episodes_store.read()
    episodes_store.open_images(episodes)
    kept = select_shortest_successes(episodes, config.keep_percentile)
    previous = ctx.path("replay") if "replay" in ctx.artifacts else None
    replay_dir = ctx.stage_dir / "replay"
    buffer = update_replay(replay_dir, previous, kept, config.replay_size)
    rng = random.Random(ctx.seed)
    drawn = rng.sample(buffer, min(config.trajectories, len(buffer)))
    EpisodeStore(replay_dir).open_images(drawn)
    record = {"episodes": len(episodes), "successes": sum(e.success for e in episodes), "kept": len(kept)}
    judged = sum(1 for e in drawn if (e.info.get("judge") or {}).get("success"))  # not demonstrations
    record |= {"replay": len(buffer), "drawn": len(drawn), "drawn_judged": judged}
    checkpoint = ctx.artifacts["model"]  # nothing succeeded yet: the policy stays as it was
    if drawn:
        record |= train_turns(ctx.resolve("model"), drawn, config, ctx.seed, ctx.stage_dir / "checkpoint")
        checkpoint = ctx.rel(ctx.stage_dir / "checkpoint")
    else:
        log.warning("filtered_bc: no successful episode to learn from; passing the input model on unchanged")
    ctx.logger.log({"stage": ctx.stage_dir.name, **record})
    log.info("filtered_bc: %s", record)
    return {"checkpoint": checkpoint, "replay": ctx.rel(replay_dir)}
