"""Launching training on two CPU processes (gloo) with torchrun, for the multi-process tests."""

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def torchrun_two():
    """`torchrun --nproc_per_node 2 --master_port PORT ARGS...` from the repository root, on a port that was
    free a moment before (a fixed one collides with any other run on the machine); skips without torchrun
    (or, with `deepspeed=True`, without DeepSpeed and a C++ compiler for its CPU extension)."""
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists():
        pytest.skip("torchrun is not installed beside this Python")

    def launch(args: list[str], deepspeed: bool = False) -> subprocess.CompletedProcess:
        if deepspeed:
            pytest.importorskip("deepspeed")
            if shutil.which("c++") is None and shutil.which("g++") is None:
                pytest.skip("DeepSpeed compiles a small CPU extension and needs a C++ compiler")
        env = {
            **os.environ,
            "TORCH_EXTENSIONS_DIR": os.environ.get(
                "TORCH_EXTENSIONS_DIR", str(ROOT / ".cache" / "torch_extensions")
            ),
            "OMP_NUM_THREADS": "1",
        }
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        command = [str(torchrun), "--nproc_per_node", "2", "--master_port", str(port), *args]
        return subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=420)

    return launch
