"""TRL's stock GRPOTrainer on single-turn GeneralPoints, the env as reward function.

For comparison with our `rl` stage (multi-turn, turn-level credit). One attempt per hand: the completion is
graded by a fresh env dealt the row's hand, and its reward is the env's first-step reward.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from agent_rl.core.bounds import Count, LearningRate, NonNegative, Positive
from envs.generalpoints import SEEDS, EnvOptions

GroupSize = Annotated[int, Field(ge=2)]  # TRL's GRPO needs two completions of a prompt to compare


class GRPOSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    env: EnvOptions = EnvOptions(max_attempts=1)
    hands: Count = 256
    steps: Count = 20
    hands_per_step: Count = 8
    group_size: GroupSize = 4
    lr: LearningRate = 1e-5
    clip: Positive = 0.2
    epochs: Count = 1  # GRPOConfig.num_iterations
    kl_coef: NonNegative = 0.0  # GRPOConfig.beta
    temperature: Positive = 1.0  # TRL divides the logits by it: sampling only, no greedy
    max_new_tokens: Count = 96
    save_steps: Count | None = None
    compute_lambda: NonNegative = 6.0


def prompt_dataset(env: EnvOptions, hands: int, seed: int):
    """Rows of the env's first observation plus the hand, which the reward function deals again."""
    from datasets import Dataset

    game = env.make()
    rows = []
    for hand in env.deal(hands, seed):
        obs, info = game.reset(seed=hand.index, options=hand.options())
        row: dict[str, Any] = {"prompt": obs["messages"], "cards": info["cards"], "suits": info["suits"]}
        if obs["images"]:
            row["images"] = obs["images"]
        rows.append(row)
    return Dataset.from_list(rows)


def env_reward(env: EnvOptions):
    """A TRL reward function: grade each completion as the first attempt at its row's hand."""
    game = env.make()

    def reward(
        completions: list[Any], cards: list[list[str]], suits: list[list[str]], **_: Any
    ) -> list[float]:
        scores = []
        for completion, hand, hand_suits in zip(completions, cards, suits, strict=True):
            text = completion if isinstance(completion, str) else completion[-1]["content"]
            game.reset(options={"cards": hand, "suits": hand_suits})
            scores.append(float(game.step(text)[1]))
        return scores

    reward.__name__ = "generalpoints"
    return reward


def grpo_args(config: GRPOSettings, out_dir: str, seed: int, **overrides: Any):
    import torch
    from trl import GRPOConfig

    on_gpu = torch.cuda.is_available()
    batch = config.hands_per_step * config.group_size
    settings: dict[str, Any] = dict(
        output_dir=out_dir,
        learning_rate=config.lr,
        per_device_train_batch_size=batch,
        num_generations=config.group_size,
        max_completion_length=config.max_new_tokens,
        temperature=config.temperature,
        top_k=0,
        num_iterations=config.epochs,
        epsilon=config.clip,
        beta=config.kl_coef,
        max_steps=config.steps,
        save_strategy="steps" if config.save_steps else "no",
        save_steps=config.save_steps or 500,
        logging_steps=1,
        report_to=[],
        seed=seed,
        use_cpu=not on_gpu,
        bf16=on_gpu,
        disable_tqdm=False,
    )
    return GRPOConfig(**{**settings, **overrides})


def build_trainer(
    model_path: str, config: GRPOSettings, out_dir: str, seed: int, callbacks=None, **overrides: Any
):
    from trl import GRPOTrainer

    from agent_rl.models.loading import load_model

    loaded = load_model(model_path, device="cpu")
    trainer = GRPOTrainer(
        model=loaded.model,
        reward_funcs=env_reward(config.env),
        args=grpo_args(config, out_dir, seed, **overrides),
        train_dataset=prompt_dataset(config.env, config.hands, SEEDS["grpo"] + seed),
        processing_class=loaded.processor or loaded.tokenizer,
        callbacks=callbacks,
    )
    return trainer, loaded
