"""The RL learning paths on a real tiny model: GAE with the value head, the KL term, and image pixels that
reach the VLM's loss."""

import random
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from agent_rl.core.types import Episode, Turn
from agent_rl.models.loading import load_model
from agent_rl.train.policy import PolicyWithValue, collate, fill_token_ids, forward_logprobs
from agent_rl.train.rl import RLConfig, RLTrainer, encode_turns, learn_from


@pytest.fixture(scope="module")
def small_model(tmp_path_factory) -> Path:
    from agent_rl.models.tiny import build_tiny_text_model

    return build_tiny_text_model(tmp_path_factory.mktemp("paths"), seed=0, hidden_size=64, layers=1)


def two_turn_episodes(rewards: list[list[float]]) -> list[Episode]:
    """Episodes with fixed token ids (distinct prompts) and the given per-turn rewards."""
    rng = random.Random(0)
    episodes = []
    for e, episode_rewards in enumerate(rewards):
        turns = [
            Turn(
                messages=[],
                response="",
                reward=r,
                prompt_token_ids=[rng.randint(20, 200) for _ in range(6 + e + t)],
                response_token_ids=[rng.randint(20, 200) for _ in range(4)],
            )
            for t, r in enumerate(episode_rewards)
        ]
        episodes.append(Episode(episode_id=str(e), task={"task_id": "t"}, turns=turns))
    return episodes


def test_gae_trains_the_value_head_towards_the_returns(small_model):
    config = RLConfig(
        advantage="gae", gamma=0.9, lam=1.0, lr=3e-3, epochs=4, minibatch_size=8, value_coef=1.0
    )
    trainer = RLTrainer(str(small_model), config, seed=0)
    episodes = two_turn_episodes([[0.0, 1.0], [0.0, 0.0], [1.0, 0.0]])
    returns = np.array([0.9, 1.0, 0.0, 0.0, 1.0, 0.0])  # γ = 0.9, λ = 1: Monte-Carlo returns per turn
    samples, _ = encode_turns(episodes, None)
    assert trainer.score(samples) == [0.0] * 6  # the value head starts at zero
    losses = [learn_from(trainer, episodes, [[0, 1, 2]], random.Random(i))["value_loss"] for i in range(10)]
    values = np.array(trainer.score(encode_turns(episodes, None)[0]))
    assert losses[-1] < 0.3 * losses[0], losses
    assert np.abs(values - returns).mean() < 0.5 * np.abs(returns).mean(), values


def perturbed_copy(model: Path, out: Path) -> Path:
    shutil.copytree(model, out)
    loaded = load_model(str(model), device="cpu")
    torch.manual_seed(1)
    with torch.no_grad():
        for p in loaded.model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    loaded.model.save_pretrained(out)
    return out


@pytest.mark.parametrize("kl_coef", [0.0, 1.0])
def test_the_kl_term_pulls_the_policy_back_to_its_reference(small_model, tmp_path, kl_coef):
    """Equal rewards leave no policy-gradient signal: only the KL term moves the policy, towards the reference."""
    start = perturbed_copy(small_model, tmp_path / "start")
    config = RLConfig(kl_coef=kl_coef, lr=3e-3, epochs=1, minibatch_size=8)
    trainer = RLTrainer(str(start), config, seed=0, reference=str(small_model))
    episodes = two_turn_episodes([[1.0], [1.0], [1.0], [1.0]])
    samples, _ = encode_turns(episodes, None)
    reference = PolicyWithValue(load_model(str(small_model), device="cpu").model, with_value=False).eval()

    def kl() -> float:
        batch = collate(samples, trainer.learner.pad_id)
        with torch.no_grad():
            mine = forward_logprobs(trainer.learner.policy, batch)[0]
            ref = forward_logprobs(reference, batch)[0]
        return float(((mine - ref).abs() * batch["response_mask"]).sum())

    before = kl()
    for i in range(8):
        learn_from(trainer, episodes, [[0, 1, 2, 3]], random.Random(i))
    after = kl()
    if kl_coef:
        assert after < 0.7 * before, (before, after)
    else:
        assert after == pytest.approx(before, rel=1e-5)


def test_image_pixels_reach_the_vlm_loss(tiny_vlm):
    from PIL import Image

    loaded = load_model(str(tiny_vlm), device="cpu")
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Which cards?"}]}]
    losses = []
    for colour in ("red", "blue"):
        turn = Turn(messages=messages, response="A K", images=[Image.new("RGB", (64, 64), colour)])
        episode = Episode(episode_id=colour, task={}, turns=[turn])
        fill_token_ids([episode], loaded.tokenizer, loaded.processor)
        samples, _ = encode_turns([episode], loaded.processor)
        assert "pixel_values" in samples[0].extra
        batch = collate(samples, loaded.tokenizer.pad_token_id)
        with torch.no_grad():
            losses.append(forward_logprobs(PolicyWithValue(loaded.model, with_value=False), batch)[0])
    assert losses[0].shape == losses[1].shape
    assert not torch.allclose(losses[0], losses[1])  # different pixels, different response log-probs
