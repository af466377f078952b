"""Every stage's settings are range-checked when the recipe loads: a bad value is one line naming its field
(`stages[0].rl.iterations: ...`), before any folder or model exists."""

import pytest
import yaml

from agent_rl.errors import UserError
from agent_rl.recipe import load_recipe

CONTROL = {"generate": {"episodes": 10, "episode_steps": 10}}  # control_train needs a dataset source

BAD = [
    ("sft", {"epochs": 0}, "epochs: Input should be greater than 0"),
    ("sft", {"max_steps": 0}, "max_steps: 0 steps trains nothing"),
    ("sft", {"lr": -1e-5}, "lr: Input should be greater than 0"),
    ("sft", {"lr_scheduler": "cosine_typo"}, "lr_scheduler: Input should be 'linear', 'cosine'"),
    ("sft", {"batch_size": 0}, "batch_size: Input should be greater than or equal to 1"),
    ("sft", {"grad_accum": 0}, "grad_accum: Input should be greater than or equal to 1"),
    ("sft", {"warmup": -1}, "warmup: Input should be greater than or equal to 0"),
    ("sft", {"data": {"hands": 0}}, "data.hands: Input should be greater than or equal to 1"),
    ("sft", {"data": {"seed": -1}}, "data.seed: Input should be greater than or equal to 0"),
    ("sft", {"lora": {"r": 0}}, "lora.r: Input should be greater than or equal to 1"),
    ("sft", {"lora": {"dropout": 1.0}}, "lora.dropout: Input should be less than 1"),
    ("pretrain", {"text": {"documents": 0}}, "text.documents: Input should be greater than or equal to 1"),
    ("pretrain", {"max_length": 0}, "max_length: Input should be greater than or equal to 1"),
    ("rl", {"iterations": -1}, "iterations: Input should be greater than or equal to 1"),
    ("rl", {"hands_per_iter": 0}, "hands_per_iter: Input should be greater than or equal to 1"),
    ("rl", {"group_size": 0}, "group_size: Input should be greater than or equal to 1"),
    ("rl", {"micro_batch_size": 0}, "micro_batch_size: Input should be greater than or equal to 1"),
    ("rl", {"minibatch_size": 0}, "minibatch_size: Input should be greater than or equal to 1"),
    ("rl", {"epochs": 0}, "epochs: Input should be greater than or equal to 1"),
    ("rl", {"gamma": 1.5}, "gamma: Input should be less than or equal to 1"),
    ("rl", {"lam": -0.1}, "lam: Input should be greater than or equal to 0"),
    ("rl", {"clip": 0}, "clip: Input should be greater than 0"),
    ("rl", {"temperature": float("inf")}, "temperature: Input should be a finite number"),
    ("rl", {"temperature": -0.5}, "temperature: Input should be greater than or equal to 0"),
    ("rl", {"kl_coef": -1}, "kl_coef: Input should be greater than or equal to 0"),
    ("rl", {"save_every": 0}, "save_every: Input should be greater than or equal to 1"),
    ("rl", {"hand_seed": -3}, "hand_seed: Input should be greater than or equal to 0"),
    ("rl", {"env": {"max_attempts": 0}}, "env.max_attempts: Input should be greater than or equal to 1"),
    ("grpo_trl", {"group_size": 1}, "group_size: Input should be greater than or equal to 2"),
    ("grpo_trl", {"steps": 0}, "steps: Input should be greater than or equal to 1"),
    ("grpo_trl", {"temperature": 0}, "temperature: Input should be greater than 0"),
    ("filtered_bc", {"batch_size": 0}, "batch_size: Input should be greater than or equal to 1"),
    ("filtered_bc", {"max_grad_norm": 0}, "max_grad_norm: Input should be greater than 0"),
    ("eval", {"episodes": 0}, "episodes: Input should be greater than or equal to 1"),
    ("eval", {"temperature": float("nan")}, "temperature: Input should be a finite number"),
    ("eval", {"top_p": 1.5}, "top_p: Input should be less than or equal to 1"),
    ("eval", {"settings": ["nope"]}, "settings[0]: Input should be 'id', 'rule_ood' or 'visual_ood'"),
    ("eval", {"settings": []}, "settings: List should have at least 1 item"),
    ("propose", {"sites": []}, "sites: List should have at least 1 item"),
    ("control_train", {**CONTROL, "tasks": []}, "tasks: List should have at least 1 item"),
    ("compare", {"eval": {"batch_size": 0}}, "eval.batch_size: Input should be greater than or equal to 1"),
    ("judge", {"last_k": 0}, "last_k: Input should be greater than or equal to 1"),
    ("propose", {"tasks_per_site": 0}, "tasks_per_site: Input should be greater than or equal to 1"),
    ("propose", {"temperature": float("nan")}, "temperature: Input should be a finite number"),
    ("web_rollout", {"max_steps": 0}, "max_steps: Input should be greater than or equal to 1"),
    ("web_rollout", {"temperature": float("inf")}, "temperature: Input should be a finite number"),
    ("webarena_eval", {"parallel": 0}, "parallel: Input should be greater than or equal to 1"),
    (
        "control_train",
        {**CONTROL, "eval_episodes": 0},
        "eval_episodes: Input should be greater than or equal",
    ),
    (
        "control_train",
        {**CONTROL, "offline_steps": -1},
        "offline_steps: Input should be greater than or equal",
    ),
    ("control_train", {"generate": {"episodes": 10, "seed": -1}}, "generate.seed: Input should be greater"),
    (
        "control_train",
        {**CONTROL, "agent_config": {"lr": 0}},
        "agent_config.lr: Input should be greater than 0",
    ),
    (
        "control_train",
        {**CONTROL, "agent_config": {"discount": 2}},
        "agent_config.discount: Input should be less",
    ),
    ("control_compare", {"runs": {}}, "runs: Dictionary should have at least 1 item"),
]


@pytest.mark.parametrize(("kind", "settings", "message"), BAD, ids=[f"{k}-{s}" for k, s, _ in BAD])
def test_a_bad_stage_setting_fails_at_load_time_naming_its_field(kind, settings, message, tmp_path):
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump({"name": "t", "stages": [{"name": "s", "type": kind, kind: settings}]}))
    with pytest.raises(UserError) as info:
        load_recipe(path)
    assert f"{path}: stages[0].{kind}" in str(info.value) and message in str(info.value)
    assert "\n" not in str(info.value)


def test_the_defaults_of_every_stage_are_in_range(tmp_path):
    from agent_rl.stages import stage_module, stage_types

    for kind in stage_types():
        required = {
            "control_train": CONTROL,
            "control_compare": {"runs": {"a": "b"}},
            "pae_report": {"evals": ["e"]},
        }
        settings = required.get(kind, {})
        stage_module(kind).Config.model_validate(settings)
