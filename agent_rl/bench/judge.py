"""Judge throughput: verdicts per second through `agent-rl serve` (HTTP, batched) versus the same judge
calling the in-process backend directly, on the same tiny VLM, prompts and micro-batch size, in one run.
The ratio is the cost of the HTTP hop and the server's batching; 1.0 would mean it is free."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from PIL import Image

from agent_rl.backends import make_backend
from agent_rl.backends.openai_server import serving
from agent_rl.backends.transformers_backend import TransformersBackend
from agent_rl.core.bounds import Count
from agent_rl.core.cli_args import arg_type
from agent_rl.models.tiny import build_tiny_vlm
from evaluator.judge import Judge, JudgeInput


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--verdicts", type=arg_type(Count), default=64, help="episodes to judge per measurement"
    )
    parser.add_argument(
        "--batch-size", type=arg_type(Count), default=8, help="micro-batch size, in process and served"
    )


def _rate(judge: Judge, items: list[JudgeInput]) -> float:
    judge.judge(items[:2])  # warm-up
    started = time.perf_counter()
    judge.judge(items)
    return len(items) / (time.perf_counter() - started)


def run(args: argparse.Namespace) -> dict:
    n = 16 if args.quick else args.verdicts
    shots = [Image.new("RGB", (128, 96), (40 * i % 255, 90, 160)) for i in range(3)]
    items = [
        JudgeInput(task=f"Add item {i} to the cart", answer=f"added {i}", screenshots=shots) for i in range(n)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        local = TransformersBackend(build_tiny_vlm(Path(tmp) / "vlm", seed=0), max_batch_size=args.batch_size)
        in_process = _rate(Judge(local, max_new_tokens=16), items)
        with serving(local, "tiny-vlm", max_batch_size=args.batch_size) as spec:
            remote = make_backend({**spec, "concurrency": n})
            served = _rate(Judge(remote, max_new_tokens=16), items)
    return {
        "verdicts": n,
        "batch_size": args.batch_size,
        "served_verdicts_per_s": round(served, 2),
        "in_process_verdicts_per_s": round(in_process, 2),
        "served_over_in_process": round(served / in_process, 3),
    }
