"""Run by torchrun from test_rl_distributed: a short `rl` stage; each rank reports what it did as JSON."""

import json
import sys
from pathlib import Path

import torch

from agent_rl.runlog import MetricsLogger
from agent_rl.stages import StageContext, rl
from agent_rl.train import learner as learner_module

run_dir, out, config = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3])
steps = []
step = learner_module.Learner.step


def counting_step(self, *args, **kwargs):
    """Count the optimiser steps that really ran (DeepSpeed's engine or the wrapped torch optimiser)."""
    stats = step(self, *args, **kwargs)
    engine = getattr(self.policy, "global_steps", None)
    steps.append(
        engine if engine is not None else self.optimizer.optimizer.state_dict()["state"][0]["step"].item()
    )
    return stats


learner_module.Learner.step = counting_step
ctx = StageContext(
    run_dir, run_dir / "rl", {"model": "model"}, MetricsLogger(run_dir / "rl"), seed=0, resume=False
)
trainer_box = {}
original_init = rl.RLTrainer.__init__


def keep(self, *args, **kwargs):
    original_init(self, *args, **kwargs)
    trainer_box["trainer"] = self


rl.RLTrainer.__init__ = keep
turns = []  # samples each update saw on this rank
update = rl.RLTrainer.update


def counting_update(self, samples, rng):
    turns.append(len(samples))
    return update(self, samples, rng)


rl.RLTrainer.update = counting_update
rl.run(rl.Config(**config), ctx)
trainer = trainer_box["trainer"]
params = torch.cat([p.detach().flatten().float() for p in trainer.model.parameters()])
rank = trainer.learner.rank
(out / f"rank-{rank}.json").write_text(
    json.dumps(
        {"steps": steps, "turns": turns, "checksum": params.sum().item(), "first": params[:64].tolist()}
    )
)
