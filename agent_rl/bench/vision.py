"""GP-VL training data speed: vision SFT rows stored as the env draws them (1200x1200) against rows stored at
the tiny VLM's input size (`models.image_inputs`), side by side in one run.

For each layout: the time to make and save the rows, and the time to read them back and collate them into a
training batch (TRL's vision collator: decode, resize, normalise, tokenise), which is what every SFT step pays
before the model runs. Both batches' pixel values are compared too: they must be identical. Times are this
thread's CPU time (`time.thread_time`), what one core does on a shared machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def _clock() -> float:
    return time.thread_time()


def _timed_layout(model: Path, rows: int, batch: int, resize, folder: Path) -> tuple[dict, object]:
    import torch
    from trl.trainer.sft_trainer import DataCollatorForVisionLanguageModeling

    from agent_rl.models.loading import load_model
    from agent_rl.train.gp_data import DataConfig, build_sft_dataset

    torch.set_num_threads(1)
    config = DataConfig(hands=rows, env={"modality": "vision"})
    started = _clock()
    dataset = build_sft_dataset(config, folder, resize)
    build_s = _clock() - started
    collate = DataCollatorForVisionLanguageModeling(load_model(str(model), device="cpu").processor)
    started = _clock()
    for first in range(0, rows, batch):
        collated = collate([dict(dataset[i]) for i in range(first, min(rows, first + batch))])
    batch_s = _clock() - started
    return {"build_s_per_row": build_s / rows, "read_and_collate_s_per_row": batch_s / rows}, collated


def run(args: argparse.Namespace) -> dict:
    from agent_rl.models.image_inputs import input_resize
    from agent_rl.models.tiny import build_tiny_vlm

    rows = 8 if args.quick else 200
    with tempfile.TemporaryDirectory() as tmp:
        model = build_tiny_vlm(Path(tmp) / "model", image_size=128, patch_size=32)  # the GP-VL recipe's
        full, full_batch = _timed_layout(model, rows, 8, None, Path(tmp) / "full")
        small, small_batch = _timed_layout(model, rows, 8, input_resize(model), Path(tmp) / "small")
    same = bool((full_batch["pixel_values"] == small_batch["pixel_values"]).all())
    return {
        "quick": bool(args.quick),
        "clock": "thread CPU time (one core)",
        "rows": rows,
        "stored_1200px": {k: round(v, 5) for k, v in full.items()},
        "stored_at_input_size": {k: round(v, 5) for k, v in small.items()},
        "build_speedup": round(full["build_s_per_row"] / small["build_s_per_row"], 1),
        "read_and_collate_speedup": round(
            full["read_and_collate_s_per_row"] / small["read_and_collate_s_per_row"], 1
        ),
        "same_pixel_values": same,
    }
