"""RL loss settings that used to be wrong or dead: temperature 0 and the value clip."""

import math

import pytest
import torch

from agent_rl.train.policy import TurnSample, collate, forward_logprobs
from agent_rl.train.rl import RLConfig, RLTrainer


@pytest.fixture(scope="module")
def small_model(tmp_path_factory):
    from agent_rl.models.tiny import build_tiny_text_model

    return build_tiny_text_model(tmp_path_factory.mktemp("rl-loss"), seed=0, hidden_size=64, layers=1)


def sample() -> TurnSample:
    return TurnSample([5, 9, 12, 30, 31, 32], n_prompt=3, advantage=1.0, value_target=10.0)


def test_temperature_zero_scores_the_plain_logits(small_model):
    trainer = RLTrainer(str(small_model), RLConfig(temperature=0.0), seed=0)
    batch = collate([sample()], trainer.learner.pad_id)
    greedy, _ = forward_logprobs(trainer.learner.policy, batch, temperature=0.0)
    plain, _ = forward_logprobs(trainer.learner.policy, batch, temperature=1.0)
    assert torch.isfinite(greedy).all()
    assert torch.equal(greedy, plain)


@pytest.mark.parametrize(("value_clip", "expected"), [(None, 0.5 * 9.0**2), (0.2, 0.5 * 9.8**2)])
def test_value_clip_bounds_the_move_from_the_old_value(small_model, value_clip, expected):
    """Old value 0 (zero-initialised head), new value 1, target 10: the clip keeps the value at 0.2,
    whose larger error PPO's pessimistic max takes."""
    config = RLConfig(advantage="gae", value_clip=value_clip, epochs=2)
    trainer = RLTrainer(str(small_model), config, seed=0)
    s = sample()
    trainer.score([s])
    assert s.old_value == 0.0
    with torch.no_grad():
        trainer.learner.accelerator.unwrap_model(trainer.learner.policy).value_head.bias.fill_(1.0)
    batch = collate([s], trainer.learner.pad_id)
    _, stats = trainer._loss([s], batch)
    assert math.isclose(stats["value_loss"], expected, rel_tol=1e-5)
