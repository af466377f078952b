"""Stage types are the modules of agent_rl.stages: adding a stage is adding one file."""

import textwrap

import pytest

from agent_rl import stages
from agent_rl.errors import UserError
from agent_rl.recipe import load_recipe, run_recipe

BUILT_IN = {
    "compare",
    "control_compare",
    "control_train",
    "eval",
    "filtered_bc",
    "grpo_trl",
    "judge",
    "pretrain",
    "propose",
    "rl",
    "sft",
}
BUILT_IN |= {"web_rollout", "webarena_eval", "demonstrations", "pae_report"}


def test_every_stage_module_has_a_strict_config_and_run():
    assert set(stages.stage_types()) == BUILT_IN
    for kind in stages.stage_types():
        module = stages.stage_module(kind)
        assert module.Config.model_config.get("extra") == "forbid", kind
        assert callable(module.run), kind


def test_a_new_file_is_a_new_stage_type(tmp_path, monkeypatch):
    (tmp_path / "count_words.py").write_text(
        textwrap.dedent(
            """
            from pydantic import BaseModel, ConfigDict

            class Config(BaseModel):
                model_config = ConfigDict(extra="forbid")
                text: str

            def run(config, ctx):
                out = ctx.stage_dir / "count.txt"
                out.write_text(str(len(config.text.split())))
                return {"count": ctx.rel(out)}
            """
        )
    )
    monkeypatch.setattr(stages, "__path__", [*stages.__path__, str(tmp_path)])
    recipe_file = tmp_path / "recipe.yaml"
    recipe_file.write_text(
        "name: t\nstages:\n  - name: words\n    type: count_words\n    count_words: {text: one two three}\n"
    )
    artifacts = run_recipe(load_recipe(recipe_file), tmp_path / "run")
    assert (tmp_path / "run" / artifacts["words.count"]).read_text() == "3"
    recipe_file.write_text("name: t\nstages:\n  - {name: words, type: count_words, count_words: {txt: a}}\n")
    with pytest.raises(UserError, match="count_words.text: Field required"):  # its own Config checks it
        load_recipe(recipe_file)


def test_unknown_stage_type_names_the_known_ones():
    with pytest.raises(UserError, match="choose one of: compare, control_compare, control_train"):
        stages.stage_module("nope")
