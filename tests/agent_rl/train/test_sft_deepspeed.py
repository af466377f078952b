"""Two processes of DeepSpeed ZeRO-2 SFT on the CPU (gloo), launched with torchrun."""

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[3]


def test_two_process_deepspeed_sft_step(tmp_path, torchrun_two):
    from agent_rl.models.tiny import build_tiny_text_model

    model = build_tiny_text_model(tmp_path / "model", seed=0, hidden_size=64, layers=1)
    config = {"max_steps": 2, "batch_size": 2, "lr": 1e-3, "logging_steps": 1, "data": {"hands": 16}}
    args = ["-m", "agent_rl.train.sft", "--model", str(model), "--out", str(tmp_path / "out")]
    args += ["--deepspeed", "zero2", "--config", json.dumps(config)]
    done = torchrun_two(args, deepspeed=True)
    assert done.returncode == 0, done.stderr[-3000:]
    log = json.loads((tmp_path / "out" / "checkpoints.json").read_text())
    assert log["checkpoints"][-1]["step"] == 2
    assert (tmp_path / "out" / "final" / "config.json").exists()
    # Two processes with 2 rows each: every step saw 4 rows.
    records = [json.loads(line) for line in (tmp_path / "out" / "metrics.jsonl").read_text().splitlines()]
    assert any("loss" in r for r in records)
