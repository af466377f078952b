"""Real, seeded, small training runs on the tiny model: SFT learns the game's answers, RL raises reward.

To stay small, SFT trains on a pool of 32 hands and success is measured on those hands (in distribution).
The tiny model is trained once per module; each test checks one claim about that shared run.
"""

import json
import math
from pathlib import Path

import pytest

from agent_rl.backends.base import SamplingParams
from agent_rl.backends.transformers_backend import TransformersBackend
from agent_rl.runlog import MetricsLogger
from agent_rl.stages import StageContext, rl, sft
from agent_rl.train.episodes import deal_hands, play
from agent_rl.train.gp_data import DataConfig, EnvOptions

pytestmark = pytest.mark.e2e

DATA = DataConfig(hands=32)


def context(run_dir: Path, name: str, artifacts: dict) -> StageContext:
    (run_dir / name).mkdir(parents=True, exist_ok=True)
    return StageContext(
        run_dir, run_dir / name, artifacts, MetricsLogger(run_dir / name), seed=0, resume=False
    )


def score(model: Path, out: Path, attempts: int, temperature: float) -> dict:
    """Success and mean reward on the SFT pool's hands (fixed seeds)."""
    env = EnvOptions(max_attempts=attempts)
    hands = deal_hands(env, DATA.hands, seed=DATA.seed)
    params = SamplingParams(max_new_tokens=64, temperature=temperature, seed=11)
    episodes = play(TransformersBackend(str(model)), env, hands, params, out, "score")
    n = len(episodes)
    return {
        "success": sum(e.success for e in episodes) / n,
        "reward": sum(e.total_reward for e in episodes) / n,
    }


def pool_rl_config(attempts: int) -> rl.Config:
    """Group-relative RL on the SFT pool's hands, 8 iterations of 8 hands x 4."""
    return rl.Config(
        env=EnvOptions(max_attempts=attempts),
        hand_seed=DATA.seed,
        hand_pool=DATA.hands,
        iterations=8,
        hands_per_iter=8,
        group_size=4,
        advantage="group",
        epochs=2,
        lr=5e-4,
        clip=0.2,
        temperature=1.0,
        max_new_tokens=64,
        minibatch_size=32,
        micro_batch_size=16,
        save_every=4,
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from agent_rl.models.tiny import build_tiny_text_model

    run_dir = tmp_path_factory.mktemp("gp_train")
    build_tiny_text_model(run_dir / "model", seed=0)
    config = sft.Config(
        data=DATA, max_steps=240, lr=3e-3, batch_size=8, warmup=0.05, save_steps=80, logging_steps=10
    )
    ctx = context(run_dir, "sft", {"model": "model"})
    artifacts = sft.run(config, ctx)
    before = score(run_dir / "model", run_dir / "score_before", attempts=1, temperature=0.0)
    after = score(run_dir / artifacts["checkpoint"], run_dir / "score_after", attempts=1, temperature=0.0)
    return {"run_dir": run_dir, "artifacts": artifacts, "ctx": ctx, "before": before, "after": after}


def test_sft_lowers_the_loss(trained):
    losses = [r["loss"] for r in trained["ctx"].logger.records() if "loss" in r]
    assert len(losses) >= 5
    assert losses[-1] < 0.5 * losses[0]


def test_sft_raises_id_success_above_the_untrained_model(trained):
    assert trained["before"]["success"] == 0.0
    assert trained["after"]["success"] >= 0.25, trained["after"]
    assert trained["after"]["reward"] > trained["before"]["reward"]


def test_sft_lists_checkpoints_with_compute(trained):
    log = json.loads((trained["run_dir"] / trained["artifacts"]["checkpoints"]).read_text())
    steps = [c["step"] for c in log["checkpoints"]]
    assert steps == [80, 160, 240]
    first, last = log["checkpoints"][0], log["checkpoints"][-1]
    assert last["flops"] == pytest.approx(3 * first["flops"])
    assert last["flops"] == pytest.approx(6 * log["parameters"] * last["tokens"])


@pytest.mark.parametrize("attempts", [1, 3])
def test_rl_raises_mean_reward_on_a_fixed_pool(trained, attempts):
    """From the half-trained SFT checkpoint, group-relative RL on the pool raises the sampled mean reward;
    with 3 attempts every attempt is a turn with its own reward, after the verifier's feedback."""
    run_dir = trained["run_dir"]
    start = run_dir / "sft" / "checkpoint-80"
    before = score(start, run_dir / f"rl{attempts}_before", attempts=attempts, temperature=1.0)["reward"]
    ctx = context(run_dir, f"rl{attempts}", {"model": "sft/checkpoint-80"})
    artifacts = rl.run(pool_rl_config(attempts), ctx)
    checkpoint = run_dir / artifacts["checkpoint"]
    after = score(checkpoint, run_dir / f"rl{attempts}_after", attempts=attempts, temperature=1.0)["reward"]
    records = ctx.logger.records()
    assert [r["iteration"] for r in records] == list(range(1, 9))
    assert all(math.isfinite(r["pg_loss"]) for r in records)
    if attempts > 1:
        assert max(r["mean_turns"] for r in records) > 1  # failed first attempts were tried again
    assert after > before + 0.25, (before, after)
