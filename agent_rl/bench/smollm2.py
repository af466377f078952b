"""`agent-rl bench smollm2`: the built-in SmolLM2-135M-Instruct on the transformers backend, side by side.

- generation: the same GeneralPoints prompts, greedy, in one batched backend call against one call per
  prompt (generated tokens per second);
- training: one optimiser step on the same batch of GeneralPoints SFT texts, LoRA (PEFT, every linear layer)
  against full fine-tuning (tokens per second; AdamW on what trains).
Everything runs in one process on one torch thread; repeats are interleaved and the best of each counts.
Ratios use this process's CPU time (on shared cores wall time also counts the other jobs); wall figures are
given beside them.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from agent_rl.core.bounds import Count
from agent_rl.core.cli_args import arg_type
from agent_rl.models.lora import LoraOptions


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--prompts", type=arg_type(Count), default=None, help="generation prompts (default 8)"
    )
    parser.add_argument(
        "--max-new-tokens", type=arg_type(Count), default=None, help="generation length (default 32)"
    )
    parser.add_argument(
        "--train-batch", type=arg_type(Count), default=None, help="SFT rows per step (default 4)"
    )
    parser.add_argument("--lora-r", type=arg_type(Count), default=16)
    parser.add_argument(
        "--repeats", type=arg_type(Count), default=None, help="interleaved repeats (default 2)"
    )


def _timed(work: Callable[[], int]) -> tuple[int, float, float]:
    """(tokens, wall seconds, CPU seconds) of one call of `work`, which returns the tokens it handled."""
    wall, cpu = time.perf_counter(), time.process_time()
    tokens = work()
    return tokens, time.perf_counter() - wall, time.process_time() - cpu


def _best_rate(runs: list[tuple[int, float, float]], column: int) -> float:
    """Tokens per second of the fastest run, by wall (column 1) or CPU (column 2) seconds."""
    return max(run[0] / max(run[column], 1e-9) for run in runs)


def _gp_texts(n: int) -> tuple[list[Any], list[list[dict[str, str]]]]:
    """n GeneralPoints prompts, and the same hands as SFT conversations with a solver-made answer."""
    from agent_rl.backends.base import ChatPrompt
    from envs.generalpoints import GeneralPointsEnv, format_answer

    env = GeneralPointsEnv()
    prompts, conversations = [], []
    for seed in range(n):
        obs, info = env.reset(seed=seed)
        question = obs["messages"][0]["content"]
        answer = format_answer(info["cards"], info["numbers"], info["solutions"][0])
        prompts.append(ChatPrompt(messages=[{"role": "user", "content": question}]))
        conversations.append(
            [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
        )
    return prompts, conversations


def _train_step(model: Any, optimizer: Any, batch: dict[str, Any]) -> int:
    model(**batch).loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return int(batch["attention_mask"].sum())


def run(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from agent_rl.backends.base import SamplingParams
    from agent_rl.backends.transformers_backend import TransformersBackend
    from agent_rl.models.loading import load_model, resolve_model
    from agent_rl.models.lora import add_lora

    quick = bool(getattr(args, "quick", False))
    n_prompts = getattr(args, "prompts", None) or (4 if quick else 8)
    max_new_tokens = getattr(args, "max_new_tokens", None) or (8 if quick else 32)
    train_batch = getattr(args, "train_batch", None) or (2 if quick else 4)
    repeats = getattr(args, "repeats", None) or (1 if quick else 2)
    lora = LoraOptions(r=getattr(args, "lora_r", 16), dropout=0.0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        folder = resolve_model("smollm2-135m")
        prompts, conversations = _gp_texts(max(n_prompts, train_batch))
        backend = TransformersBackend(folder, device="cpu", max_batch_size=n_prompts)
        params = SamplingParams(max_new_tokens=max_new_tokens, temperature=0.0)
        prompts = prompts[:n_prompts]

        def batched() -> int:
            return sum(len(g.token_ids) for g in backend.generate(prompts, params))

        def one_at_a_time() -> int:
            return sum(len(backend.generate([p], params)[0].token_ids) for p in prompts)

        tokenizer = backend.tokenizer
        texts = [tokenizer.apply_chat_template(c, tokenize=False) for c in conversations[:train_batch]]
        batch = dict(tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False))
        batch["labels"] = batch["input_ids"].masked_fill(batch["attention_mask"] == 0, -100)

        full_model = load_model(folder, device="cpu").model.train()
        lora_model = add_lora(load_model(folder, device="cpu").model, lora).train()
        full_opt = torch.optim.AdamW(full_model.parameters(), lr=1e-6)
        lora_opt = torch.optim.AdamW([p for p in lora_model.parameters() if p.requires_grad], lr=1e-6)
        # warm-up: allocator, kernels, optimiser state
        batched(), _train_step(lora_model, lora_opt, batch), _train_step(full_model, full_opt, batch)

        runs: dict[str, list[tuple[int, float, float]]] = {
            k: [] for k in ("batched", "single", "lora", "full")
        }
        for _ in range(repeats):
            runs["batched"].append(_timed(batched))
            runs["single"].append(_timed(one_at_a_time))
            runs["lora"].append(_timed(lambda: _train_step(lora_model, lora_opt, batch)))
            runs["full"].append(_timed(lambda: _train_step(full_model, full_opt, batch)))
        trainable = {
            "lora": sum(p.numel() for p in lora_model.parameters() if p.requires_grad),
            "full": sum(p.numel() for p in full_model.parameters()),
        }
    finally:
        torch.set_num_threads(threads)

    cpu = {k: round(_best_rate(v, 2), 2) for k, v in runs.items()}
    wall = {k: round(_best_rate(v, 1), 2) for k, v in runs.items()}
    names = {
        "batched": "batched_generation",
        "single": "one_at_a_time_generation",
        "lora": "lora_sft",
        "full": "full_sft",
    }
    return {
        "quick": quick,
        "model": "smollm2-135m",
        "settings": {
            "prompts": n_prompts,
            "max_new_tokens": max_new_tokens,
            "greedy": True,
            "train_batch": train_batch,
            "train_tokens_per_step": runs["lora"][0][0],
            "lora": lora.model_dump(),
            "torch_threads": 1,
            "repeats": repeats,
        },
        "trainable_parameters": trainable,
        "generated_tokens": {"batched": runs["batched"][0][0], "one_at_a_time": runs["single"][0][0]},
        "cpu_time_tokens_per_s": {names[k]: v for k, v in cpu.items()},
        "wall_time_tokens_per_s": {names[k]: v for k, v in wall.items()},
        "batched_vs_one_at_a_time_tokens_per_s": round(cpu["batched"] / cpu["single"], 2),
        "lora_vs_full_sft_tokens_per_s": round(cpu["lora"] / cpu["full"], 2),
        "wall_batched_vs_one_at_a_time_tokens_per_s": round(wall["batched"] / wall["single"], 2),
        "wall_lora_vs_full_sft_tokens_per_s": round(wall["lora"] / wall["full"], 2),
    }
