"""RL beyond one process: one optimiser step per minibatch, ranks that play different hands in lockstep and
write each episode once, and a resume that keeps the KL reference and the minibatch order."""

import json
import math
import shutil
from pathlib import Path

import pytest
import torch

from agent_rl.rollout.store import EpisodeStore
from agent_rl.runlog import MetricsLogger
from agent_rl.stages import StageContext, rl
from agent_rl.train.learner import Learner
from agent_rl.train.policy import TurnSample

ROOT = Path(__file__).resolve().parents[3]
CONFIG = dict(
    env={"max_attempts": 1},
    iterations=2,
    hands_per_iter=4,
    group_size=2,
    epochs=1,
    minibatch_size=4,
    micro_batch_size=1,
    lr=1e-3,
    max_new_tokens=8,
    save_every=1,
)


@pytest.fixture(scope="module")
def small_model(tmp_path_factory) -> Path:
    from agent_rl.models.tiny import build_tiny_text_model

    return build_tiny_text_model(tmp_path_factory.mktemp("rl-small"), seed=0, hidden_size=64, layers=1)


def samples(n: int) -> list[TurnSample]:
    gen = torch.Generator().manual_seed(0)
    out = []
    for i in range(n):
        ids = torch.randint(5, 60, (6 + i % 3,), generator=gen).tolist()
        out.append(TurnSample(ids, n_prompt=3, advantage=1.0 if i % 2 else -1.0))
    return out


def pg_loss(chunk, batch):
    from agent_rl.core.policy_gradient import masked_mean
    from agent_rl.train.policy import forward_logprobs

    logprobs, _ = forward_logprobs(learner_box[0].policy, batch)
    adv = torch.tensor([s.advantage for s in chunk]).unsqueeze(1)
    return -masked_mean(logprobs * adv, batch["response_mask"]), {}


learner_box: list[Learner] = []


def one_minibatch(model: Path, micro: int) -> tuple[int, torch.Tensor]:
    learner = Learner(str(model), lr=1e-2, micro_batch_size=micro, seed=0)
    learner_box[:] = [learner]
    grads = []  # the gradient each optimiser step used

    def record(optimizer, *_):
        params = [p for group in optimizer.param_groups for p in group["params"]]
        grads.append(torch.cat([p.grad.flatten() for p in params if p.grad is not None]))

    learner.optimizer.optimizer.register_step_pre_hook(record)
    learner.step(samples(5), pg_loss, weight=lambda s: s.n_response)
    return len(grads), grads[-1]


def test_one_optimiser_step_per_minibatch_whatever_the_micro_batch(small_model):
    steps_1, grad_1 = one_minibatch(small_model, micro=1)
    steps_5, grad_5 = one_minibatch(small_model, micro=5)
    assert steps_1 == steps_5 == 1
    assert grad_1.abs().max() > 0
    assert torch.allclose(grad_1, grad_5, atol=1e-6)  # the same gradient from 5 passes or one


def context(run_dir: Path, resume: bool) -> StageContext:
    return StageContext(
        run_dir, run_dir / "rl", {"model": "model"}, MetricsLogger(run_dir / "rl"), seed=0, resume=resume
    )


def weights(folder: Path) -> torch.Tensor:
    from agent_rl.models.loading import load_model

    model = load_model(str(folder), device="cpu").model
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_resume_with_kl_continues_as_the_uninterrupted_run(small_model, tmp_path):
    # the untrained model scores the same on every episode: only the pooled baseline (an attempt against the
    # out-of-attempts step) gives the first iteration a gradient, so that checkpoint-1 moves from the start
    config = rl.Config(
        **{**CONFIG, "kl_coef": 0.5, "epochs": 2, "micro_batch_size": 2, "group_baseline": "pooled"}
    )
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    for run_dir in (straight, resumed):
        shutil.copytree(small_model, run_dir / "model")
    rl.run(config, context(straight, resume=False))
    rl.run(config.model_copy(update={"iterations": 1}), context(resumed, resume=False))
    created = []
    original = rl.RLTrainer.__init__

    def keep(self, *args, **kwargs):
        original(self, *args, **kwargs)
        created.append(self)

    rl.RLTrainer.__init__ = keep
    try:
        rl.run(config, context(resumed, resume=True))
    finally:
        rl.RLTrainer.__init__ = original
    reference = torch.cat([p.flatten() for p in created[0].reference.model.parameters()])
    assert torch.equal(reference, weights(small_model))  # the starting model, not checkpoint-1
    assert not torch.equal(weights(resumed / "rl" / "checkpoint-1"), weights(small_model))
    records = [json.loads(line) for line in (resumed / "rl" / "metrics.jsonl").open()]
    assert [r["iteration"] for r in records] == [1, 2] and records[1]["kl_ref"] > 0
    assert torch.allclose(
        weights(resumed / "rl" / "checkpoint-2"), weights(straight / "rl" / "checkpoint-2"), atol=1e-6
    )


def launch(torchrun_two, model: Path, run_dir: Path, config: dict) -> list[dict]:
    shutil.copytree(model, run_dir / "model")
    out = run_dir / "ranks"
    out.mkdir()
    driver = Path(__file__).with_name("rl_ranks_driver.py")
    args = [str(driver), str(run_dir), str(out), json.dumps(config)]
    done = torchrun_two(args, deepspeed=config["deepspeed"] is not None)
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads((out / f"rank-{r}.json").read_text()) for r in (0, 1)]


@pytest.mark.e2e
@pytest.mark.parametrize("deepspeed", [None, "zero2"])
def test_two_ranks_play_different_hands_in_step_and_write_each_episode_once(
    small_model, tmp_path, deepspeed, torchrun_two
):
    # 3 hands: rank 0 plays 2 of them, rank 1 one, so the ranks have different numbers of turns to learn from
    config = {**CONFIG, "hands_per_iter": 3, "env": {"max_attempts": 3}, "deepspeed": deepspeed}
    ranks = launch(torchrun_two, small_model, tmp_path, config)
    for it in range(config["iterations"]):
        stores = [EpisodeStore(tmp_path / "rl" / "episodes" / f"iter-{it:04d}" / f"rank-{r}") for r in (0, 1)]
        episodes = [list(s.read()) for s in stores]
        assert [len(rank) for rank in episodes] == [4, 2]  # each rank's hands x group 2, each stored once
        assert all(len({e.episode_id for e in rank}) == len(rank) for rank in episodes)
        hands = [{e.task["task_id"] for e in rank} for rank in episodes]
        assert len(hands[0]) == 2 and len(hands[1]) == 1 and not hands[0] & hands[1]
    assert ranks[0]["turns"] != ranks[1]["turns"]
    # a minibatch of 4 turns is one optimiser step over both ranks (2 turns each), in lockstep
    per_rank = config["minibatch_size"] // 2
    expected, total = [], 0
    for mine, theirs in zip(ranks[0]["turns"], ranks[1]["turns"], strict=True):
        total += max(math.ceil(mine / per_rank), math.ceil(theirs / per_rank))
        expected.append(total)
    assert ranks[0]["steps"][-1] == ranks[1]["steps"][-1] == expected[-1]
    assert ranks[0]["first"] == pytest.approx(ranks[1]["first"], abs=1e-6)  # the same weights on both
    records = [json.loads(line) for line in (tmp_path / "rl" / "metrics.jsonl").open()]
    assert [r["iteration"] for r in records] == [1, 2]  # logged once, by the main process
    assert [r["turns"] for r in records] == [
        a + b for a, b in zip(ranks[0]["turns"], ranks[1]["turns"], strict=True)
    ]
