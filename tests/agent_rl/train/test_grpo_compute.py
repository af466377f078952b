"""TRL GRPO's logged compute counts prompt and response tokens, like our `rl` stage."""

import json

import pytest

from agent_rl.runlog import MetricsLogger
from agent_rl.stages import StageContext, grpo_trl
from agent_rl.train.grpo_trl import prompt_dataset
from envs.generalpoints import SEEDS

pytestmark = pytest.mark.e2e


def test_grpo_compute_counts_prompt_and_completion_tokens(tmp_path):
    from agent_rl.models.loading import load_model
    from agent_rl.models.tiny import build_tiny_text_model

    build_tiny_text_model(tmp_path / "model", seed=0, hidden_size=64, layers=1)
    config = grpo_trl.Config(hands=4, steps=1, hands_per_step=2, group_size=2, max_new_tokens=8)
    ctx = StageContext(
        tmp_path,
        tmp_path / "grpo",
        {"model": "model"},
        MetricsLogger(tmp_path / "grpo"),
        seed=0,
        resume=False,
    )
    artifacts = grpo_trl.run(config, ctx)
    log = json.loads((tmp_path / artifacts["checkpoints"]).read_text())
    tokens = log["checkpoints"][-1]["tokens"]
    record = next(r for r in ctx.logger.records() if "completions/mean_length" in r)
    tokenizer = load_model(str(tmp_path / "model"), device="cpu").tokenizer
    rows = prompt_dataset(config.env, config.hands, SEEDS["grpo"])
    batch = config.hands_per_step * config.group_size
    completion = record["completions/mean_length"] * batch
    prompt_lengths = {
        len(
            tokenizer.apply_chat_template(row["prompt"], add_generation_prompt=True, return_dict=True)[
                "input_ids"
            ]
        )
        for row in rows
    }
    assert tokens > completion  # not completions alone
    # the batch's prompts (one length per hand, each repeated per group member) plus its completions
    assert min(prompt_lengths) * batch + completion <= tokens <= max(prompt_lengths) * batch + completion
    n = log["parameters"]
    assert log["checkpoints"][-1]["flops"] == pytest.approx(
        6 * n * tokens + 2 * n * config.compute_lambda * tokens
    )
