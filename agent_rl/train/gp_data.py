"""The SFT data of GeneralPoints: solver-made optimal single-turn answers (the game's settings: `EnvOptions`).

A row's prompt is the env's first observation (so SFT, RL and evaluation see the same text, and in vision the
same rendered image); its completion is the JSON answer the prompt asks for, with a formula from the solver.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from tqdm import tqdm

from agent_rl.core.bounds import Count, Seed
from agent_rl.errors import UserError
from envs.generalpoints import SEEDS, EnvOptions


class DataConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    env: EnvOptions = EnvOptions()
    hands: Count = 2000
    seed: Seed = SEEDS["sft"]  # the train stream at this seed (evaluation sets are another stream)
    # which solver solution: the simplest (fewest parentheses, then shortest), the first in sorted order, or any
    answer: Literal["simplest", "first", "random"] = "simplest"


def choose_solution(solutions: list[str], how: str, rng: random.Random) -> str:
    if how == "simplest":
        return min(solutions, key=lambda s: (s.count("("), len(s), s))
    return solutions[0] if how == "first" else rng.choice(solutions)


def sft_rows(config: DataConfig, resize: Callable[[Any], Any] | None = None) -> list[dict[str, Any]]:
    """One prompt/completion row per dealt hand (the env's variant, the train stream at `config.seed`).
    `resize` (see `models.image_inputs`) stores vision images at the model's input size."""
    from envs.generalpoints import format_answer

    env = config.env.make()
    pick = random.Random(config.seed)
    rows = []
    for hand in tqdm(config.env.deal(config.hands, config.seed), desc="SFT data", leave=False):
        obs, info = env.reset(seed=hand.index, options=hand.options())
        solutions = info["solutions"]
        formula = choose_solution(solutions, config.answer, pick)
        answer = format_answer(info["cards"], info["numbers"], formula, config.env.target)
        row = {
            "prompt": obs["messages"],
            "completion": [{"role": "assistant", "content": answer}],
            "cards": info["cards"],
            "numbers": info["numbers"],
        }
        if config.env.modality == "vision":
            row["images"] = [resize(image) for image in obs["images"]] if resize else obs["images"]
        rows.append(row)
    return rows


def build_sft_dataset(config: DataConfig, out_dir: Path, resize: Callable[[Any], Any] | None = None):
    """Make the dataset and save it to `out_dir` (reused as is when it is already there)."""
    from datasets import Dataset

    if (out_dir / "dataset_info.json").exists():
        return load_sft_dataset(out_dir)
    dataset = Dataset.from_list(sft_rows(config, resize))
    dataset.save_to_disk(str(out_dir))
    return dataset


def load_sft_dataset(path: Path):
    from datasets import load_from_disk

    if not Path(path).exists():
        raise UserError(f"SFT dataset {path} not found")
    return load_from_disk(str(path))
