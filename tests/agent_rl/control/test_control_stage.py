"""The `control_train` stage end to end: generate a small dataset, train, evaluate in real MuJoCo episodes,
fine-tune online, checkpoint and resume; and the recipe runner wiring."""

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from agent_rl.control.presets import AGENTS
from agent_rl.runlog import MetricsLogger
from agent_rl.stages.control_train import Config, run

TINY = {"actor_hidden": [16], "critic_hidden": [16], "batch_size": 16, "flow_steps": 2}


@dataclass
class Ctx:
    run_dir: Path
    stage_dir: Path
    logger: MetricsLogger
    artifacts: dict = field(default_factory=dict)
    seed: int = 0
    resume: bool = False


def _ctx(root: Path, resume: bool = False) -> Ctx:
    stage = root / "control"
    stage.mkdir(parents=True, exist_ok=True)
    return Ctx(root, stage, MetricsLogger(stage), resume=resume)


def _config(**kw) -> Config:
    base = dict(
        env="cube-single-play-v0",
        generate={"episodes": 10, "episode_steps": 20},
        tasks=[2],
        agent="fql",
        preset="cpu",
        agent_config=TINY,
        offline_steps=12,
        eval_interval=12,
        eval_episodes=1,
        episode_steps=15,
        checkpoint_interval=6,
        log_interval=6,
    )
    return Config(**{**base, **kw})


@pytest.mark.e2e
def test_offline_then_online_training_evaluates_checkpoints_and_resumes(tmp_path):
    artifacts = run(_config(online_steps=6), _ctx(tmp_path))
    assert artifacts == {
        "control_results": "control/results.json",
        "control_plot": "control/success.png",
        "control_checkpoints": "control",
    }
    results = json.loads((tmp_path / artifacts["control_results"]).read_text())
    assert results["steps"] == 18 and set(results["success_per_task"]) == {"task2"}
    assert 0.0 <= results["success"] <= 1.0
    assert [s for s, _ in results["history"]["task2"]] == [12, 18]
    assert (tmp_path / artifacts["control_plot"]).stat().st_size > 1000
    evals = MetricsLogger(tmp_path / "control", name="eval").records()
    assert [e["step"] for e in evals] == [12, 18] and (tmp_path / "control/eval.csv").exists()
    assert -15.0 <= evals[0]["eval/return"] <= 0.0  # real 15-step episodes: rewards are 0 or -1 per step
    records = MetricsLogger(tmp_path / "control").records()
    assert [r["step"] for r in records] == [6, 12, 18] and all("critic_loss" in r for r in records)
    assert (tmp_path / "data/cube-single-play-v0.npz").exists()

    # resume with a longer schedule: training continues from the saved step and the online buffer
    import torch

    saved = torch.load(tmp_path / "control/task2/checkpoint.pt", weights_only=False)
    assert saved["step"] == 18 and len(saved["online"]["observations"]) == 6
    more = _config(online_steps=12)
    run(more, _ctx(tmp_path, resume=True))
    results = json.loads((tmp_path / "control/results.json").read_text())
    assert [s for s, _ in results["history"]["task2"]] == [12, 18, 24]
    resumed = torch.load(tmp_path / "control/task2/checkpoint.pt", weights_only=False)
    assert resumed["step"] == 24 and len(resumed["online"]["observations"]) == 12


@pytest.mark.e2e
@pytest.mark.parametrize("agent", ["rebrac", "iql"])
def test_wsrl_fine_tunes_from_a_pretrained_stage_without_the_offline_data(tmp_path, agent):
    small = {"actor_hidden": [16], "critic_hidden": [16], "batch_size": 8}
    offline = _config(agent=agent, agent_config=small, offline_steps=6, eval_interval=6)
    run(offline, _ctx(tmp_path))
    stage = tmp_path / "wsrl"
    stage.mkdir()
    ctx = Ctx(tmp_path, stage, MetricsLogger(stage))
    wsrl = _config(
        agent=agent,
        agent_config=small,
        offline_steps=6,
        online_steps=10,
        eval_interval=16,
        pretrained="control",
        online={"keep_offline_data": False, "warmup_steps": 4, "utd": 3},
        log_interval=1,
    )
    run(wsrl, ctx)
    import torch

    saved = torch.load(stage / "task2/checkpoint.pt", weights_only=False)
    assert saved["step"] == 16 and len(saved["online"]["observations"]) == 10  # no offline data kept
    records = MetricsLogger(stage).records()
    assert [r["step"] for r in records] == list(range(11, 17))  # no updates during the 4 warm-up env steps
    history = json.loads((stage / "results.json").read_text())["history"]["task2"]
    assert [s for s, _ in history] == [6, 16]  # the pretrained stage's evaluation, then this one's


@pytest.mark.e2e
def test_the_final_evaluation_runs_final_eval_episodes(tmp_path, monkeypatch):
    import agent_rl.stages.control_train as stage

    episodes = []

    def counting(act, env, n, seed=0):
        episodes.append(n)
        return evaluate(act, env, n, seed)

    evaluate = stage.evaluate
    monkeypatch.setattr(stage, "evaluate", counting)
    run(_config(eval_interval=6, final_eval_episodes=3), _ctx(tmp_path))
    assert episodes == [1, 3]  # step 6: eval_episodes; step 12 (the last): final_eval_episodes
    assert json.loads((tmp_path / "control/results.json").read_text())["eval_episodes"] == 3


def test_pretrained_needs_the_earlier_stage(tmp_path):
    from agent_rl.errors import UserError

    with pytest.raises(UserError, match="run the stage 'offline' first"):
        run(_config(pretrained="offline", online_steps=2), _ctx(tmp_path))


@pytest.mark.e2e
def test_recipe_runner_runs_a_control_train_stage(tmp_path):
    from agent_rl.recipe import load_recipe, run_recipe
    from envs.control.generate import GenConfig, generate

    data, _ = generate(GenConfig(episodes=10, episode_steps=20), tmp_path / "data", progress=False)
    recipe_file = tmp_path / "r.yaml"
    stage = _config(
        agent="iql",
        agent_config={"actor_hidden": [16], "critic_hidden": [16], "batch_size": 16},
        generate=None,
        dataset_path=str(data),
        offline_steps=4,
        eval_interval=4,
    )
    recipe_file.write_text(
        yaml.safe_dump(
            {
                "name": "ctl",
                "stages": [
                    {
                        "name": "iql",
                        "type": "control_train",
                        "control_train": stage.model_dump(exclude_defaults=True),
                    }
                ],
            }
        )
    )
    artifacts = run_recipe(load_recipe(recipe_file), tmp_path / "run")
    assert json.loads((tmp_path / "run" / artifacts["iql.control_results"]).read_text())["agent"] == "iql"


def test_config_errors_are_clear():
    with pytest.raises(ValidationError, match="dataset_path"):
        Config()
    with pytest.raises(ValidationError, match="tasks must be in 1..5"):
        _config(tasks=[0, 6])
    with pytest.raises(ValidationError, match="unknown fql settings"):
        _config(agent_config={"lrr": 1})
    with pytest.raises(ValidationError, match="utd"):
        _config(online={"utd": 0})
    with pytest.raises(ValidationError, match="Extra inputs"):
        Config(dataset_path="x.npz", stepz=3)
    with pytest.raises(ValidationError, match="precision"):
        _config(precision="fp16")
    with pytest.raises(ValidationError, match="compile is measured for fql only"):
        _config(agent="rebrac", compile=True)


@pytest.mark.e2e
def test_compiled_bf16_fql_trains_offline_and_online_and_keeps_float32_weights(tmp_path):
    import torch

    run(_config(precision="bf16", compile=True, online_steps=6), _ctx(tmp_path))
    state = torch.load(tmp_path / "control" / "task2" / "checkpoint.pt", weights_only=False)
    assert state["step"] == 18
    assert all(t.dtype == torch.float32 for t in state["agent"].values() if t.is_floating_point())


RECIPES = Path(__file__).parents[3] / "recipes"


@pytest.mark.parametrize(
    "recipe", sorted(p for a in (*AGENTS, "control", "gc") for p in RECIPES.glob(f"{a}_*.yaml"))
)
def test_shipped_control_recipes_validate(recipe):
    from agent_rl.recipe import load_recipe

    assert load_recipe(recipe).stages[0].type == "control_train"


@pytest.mark.e2e
@pytest.mark.parametrize("agent", ["hiql", "double_sharsa"])
def test_a_goal_conditioned_agent_trains_once_for_all_tasks_and_resumes(tmp_path, agent):
    from agent_rl.stages.control_compare import summarise

    cfg = _config(
        agent=agent,
        agent_config={"actor_hidden": [16], "value_hidden": [16], "batch_size": 16},
        tasks=[1, 3],
        offline_steps=8,
        eval_interval=4,
    )
    run(cfg, _ctx(tmp_path))
    stage = tmp_path / "control"
    assert (stage / "goals" / "checkpoint.pt").exists() and not (stage / "task1").exists()
    results = json.loads((stage / "results.json").read_text())
    assert set(results["success_per_task"]) == {"task1", "task3"}
    assert [s for s, _ in results["history"]["task3"]] == [4, 8]
    evals = [json.loads(line) for line in (stage / "eval.jsonl").read_text().splitlines()]
    assert sorted((e["task"], e["step"]) for e in evals) == [(1, 4), (1, 8), (3, 4), (3, 8)]
    assert summarise(stage)["success_per_task"] == results["success_per_task"]  # the report reads it
    run(cfg, _ctx(tmp_path, resume=True))  # finished: resumes at the end, adds nothing
    assert len(json.loads((stage / "results.json").read_text())["history"]["task1"]) == 2


def test_goal_conditioned_agents_refuse_online_steps():
    with pytest.raises(ValidationError, match="offline only"):
        _config(agent="crl", agent_config={}, online_steps=5)
