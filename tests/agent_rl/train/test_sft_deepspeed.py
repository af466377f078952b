"""Two processes of DeepSpeed ZeRO-2 SFT on the CPU (gloo), launched with torchrun."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[3]


def test_two_process_deepspeed_sft_step(tmp_path):
    pytest.importorskip("deepspeed")
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists():
        pytest.skip("torchrun is not installed beside this Python")
    if shutil.which("c++") is None and shutil.which("g++") is None:
        pytest.skip("DeepSpeed compiles a small CPU extension and needs a C++ compiler")
    from agent_rl.models.tiny import build_tiny_text_model

    model = build_tiny_text_model(tmp_path / "model", seed=0, hidden_size=64, layers=1)
    env = {
        **os.environ,
        "TORCH_EXTENSIONS_DIR": os.environ.get(
            "TORCH_EXTENSIONS_DIR", str(ROOT / ".cache" / "torch_extensions")
        ),
        "OMP_NUM_THREADS": "1",
    }
    config = {"max_steps": 2, "batch_size": 2, "lr": 1e-3, "logging_steps": 1, "data": {"hands": 16}}
    done = subprocess.run(
        [
            str(torchrun),
            "--nproc_per_node",
            "2",
            "--master_port",
            "29533",
            "-m",
            "agent_rl.train.sft",
            "--model",
            str(model),
            "--out",
            str(tmp_path / "out"),
            "--deepspeed",
            "zero2",
            "--config",
            json.dumps(config),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=420,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    log = json.loads((tmp_path / "out" / "checkpoints.json").read_text())
    assert log["checkpoints"][-1]["step"] == 2
    assert (tmp_path / "out" / "final" / "config.json").exists()
    # Two processes with 2 rows each: every step saw 4 rows.
    records = [json.loads(line) for line in (tmp_path / "out" / "metrics.jsonl").read_text().splitlines()]
    assert any("loss" in r for r in records)
