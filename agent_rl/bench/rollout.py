"""`agent-rl bench rollout`: the multi-turn runner against the naive loop and against raw batched generation.

All three run on the same tiny model, the same GeneralPoints hands and sampling settings, in one process on one
torch thread (so the ratios do not depend on how busy the other cores are):
- runner: every waiting episode of every turn in one batched backend call per round;
- naive: the same episodes one at a time, one prompt per generate call;
- raw: `model.generate` alone over exactly the prompt batches the runner sent, pre-tokenised: no env, no
  chat template, no logprobs, no store. This is the limit the runner's overhead is measured against.
Each is repeated (interleaved) and its best time kept.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from agent_rl.core.bounds import Count, Seed
from agent_rl.core.cli_args import arg_type

TARGET_EPISODES_RATIO = 4.0
TARGET_TOKENS_RATIO = 0.7


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="model folder (default: a fresh tiny text model)")
    parser.add_argument(
        "--episodes", type=arg_type(Count), default=None, help="episodes for the runner (default 64)"
    )
    parser.add_argument("--seed", type=arg_type(Seed), default=0)
    parser.add_argument(
        "--repeats", type=arg_type(Count), default=3, help="interleaved repeats; the best time of each counts"
    )


class _RecordingBackend:
    """Passes calls through and keeps each round's prompts, for the raw replay."""

    def __init__(self, backend: Any) -> None:
        self.backend, self.rounds = backend, []
        self.name, self.revision = backend.name, backend.revision

    def generate(self, prompts, params):
        self.rounds.append(prompts)
        return self.backend.generate(prompts, params)


def _raw_generate(
    backend: Any, rounds: list[list[Any]], max_new_tokens: int, seed: int
) -> tuple[int, float, float]:
    """Generated tokens, wall and CPU seconds of plain `model.generate` over the runner's prompt batches."""
    import torch
    from transformers import GenerationConfig

    tokenizer, model, size = backend.tokenizer, backend.model, backend.max_batch_size
    batches = []
    for prompts in rounds:
        texts = [backend._chat_text(prompt) for prompt in prompts]
        for start in range(0, len(texts), size):
            batches.append(
                tokenizer(
                    texts[start : start + size],
                    add_special_tokens=False,
                    padding=True,
                    padding_side="left",
                    return_tensors="pt",
                )
            )
    config = GenerationConfig(
        max_new_tokens=max_new_tokens,
        do_sample=True,
        temperature=1.0,
        top_k=0,
        top_p=1.0,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    tokens, started, cpu_started = 0, time.perf_counter(), time.process_time()
    with torch.no_grad():
        for inputs in batches:
            output = model.generate(**inputs, generation_config=config)
            generated = output[:, inputs["input_ids"].shape[1] :]
            tokens += int((generated != tokenizer.pad_token_id).sum())
    return tokens, time.perf_counter() - started, time.process_time() - cpu_started


def run(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from agent_rl.backends.base import SamplingParams
    from agent_rl.backends.transformers_backend import TransformersBackend
    from agent_rl.models.tiny import build_tiny_text_model
    from agent_rl.rollout.gp_eval import EvalSettings, episode_specs
    from agent_rl.rollout.runner import run_rollouts

    quick = bool(getattr(args, "quick", False))
    episodes = getattr(args, "episodes", None) or (8 if quick else 64)
    seed = getattr(args, "seed", 0)
    max_attempts, max_new_tokens = (2, 8) if quick else (3, 32)
    naive_episodes = max(2, episodes // 4)
    repeats = 1 if quick else getattr(args, "repeats", 3)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            model = getattr(args, "model", None) or build_tiny_text_model(Path(tmp) / "model", seed=seed)
            backend = TransformersBackend(model, device="cpu")
            settings = EvalSettings(episodes=episodes, seed=seed, max_attempts=max_attempts)
            specs = episode_specs(settings)
            params = SamplingParams(max_new_tokens=max_new_tokens, temperature=1.0, seed=seed)
            run_rollouts(backend, specs[:2], params, progress=False)  # warm-up: allocator, kernels

            # Interleaved repeats; other jobs on the shared cores only ever add time, so the best of each counts.
            runners, naives, raws = [], [], []
            for _ in range(repeats):
                recorder = _RecordingBackend(backend)
                runners.append(run_rollouts(recorder, specs, params, max_concurrent=episodes, progress=False))
                naives.append(
                    run_rollouts(backend, specs[:naive_episodes], params, max_concurrent=1, progress=False)
                )
                raws.append(_raw_generate(backend, recorder.rounds, max_new_tokens, seed))
    finally:
        torch.set_num_threads(threads)

    runner, naive, raw_tokens = runners[0], naives[0], raws[0][0]

    def rates(runner_seconds: float, naive_seconds: float, raw_seconds: float) -> dict[str, float]:
        return {
            "runner_episodes_per_s": len(runner.episodes) / runner_seconds,
            "naive_episodes_per_s": len(naive.episodes) / naive_seconds,
            "runner_tokens_per_s": runner.generated_tokens / runner_seconds,
            "raw_tokens_per_s": raw_tokens / raw_seconds,
        }

    cpu = rates(
        min(r.cpu_seconds for r in runners), min(n.cpu_seconds for n in naives), min(r[2] for r in raws)
    )
    wall = rates(min(r.seconds for r in runners), min(n.seconds for n in naives), min(r[1] for r in raws))
    episodes_ratio = cpu["runner_episodes_per_s"] / cpu["naive_episodes_per_s"]
    tokens_ratio = cpu["runner_tokens_per_s"] / cpu["raw_tokens_per_s"]
    return {
        "quick": quick,
        "settings": {
            "episodes": episodes,
            "naive_episodes": naive_episodes,
            "max_attempts": max_attempts,
            "max_new_tokens": max_new_tokens,
            "torch_threads": 1,
            "repeats": repeats,
        },
        "counts": {
            "runner_episodes": len(runner.episodes),
            "runner_rounds": runner.rounds,
            "runner_turns": runner.turns,
            "runner_generated_tokens": runner.generated_tokens,
            "naive_episodes": len(naive.episodes),
            "naive_generate_calls": naive.rounds,
            "raw_generated_tokens": raw_tokens,
        },
        # Ratios use CPU time of this single-threaded process: on shared cores, wall time also counts the
        # other jobs. Wall-clock figures are given beside them.
        "cpu_time": {k: round(v, 2) for k, v in cpu.items()},
        "wall_time": {k: round(v, 2) for k, v in wall.items()},
        "runner_vs_naive_episodes_per_s": round(episodes_ratio, 2),
        "runner_vs_raw_tokens_per_s": round(tokens_ratio, 3),
        "wall_runner_vs_naive_episodes_per_s": round(
            wall["runner_episodes_per_s"] / wall["naive_episodes_per_s"], 2
        ),
        "wall_runner_vs_raw_tokens_per_s": round(wall["runner_tokens_per_s"] / wall["raw_tokens_per_s"], 3),
        "targets": {
            "runner_vs_naive_episodes_per_s": TARGET_EPISODES_RATIO,
            "runner_vs_raw_tokens_per_s": TARGET_TOKENS_RATIO,
        },
        "meets_targets": episodes_ratio >= TARGET_EPISODES_RATIO and tokens_ratio >= TARGET_TOKENS_RATIO,
    }
