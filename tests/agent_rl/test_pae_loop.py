"""The PAE loop through the recipe runner: propose -> web rollout in Chromium -> judge -> filtered BC."""

import json
from pathlib import Path

import pytest
import yaml

from agent_rl.bench.pae import one_iteration_recipe
from agent_rl.cli import main
from agent_rl.rollout.store import EpisodeStore

pytestmark = pytest.mark.e2e

RECIPE = one_iteration_recipe(["wikipedia"], tasks_per_site=2, max_steps=2)


def test_pae_loop_runs_end_to_end_and_records_every_stage(tmp_path):
    recipe = tmp_path / "pae.yaml"
    recipe.write_text(yaml.safe_dump(RECIPE))
    run_dir = tmp_path / "run"
    assert main(["run", str(recipe), "--out", str(run_dir)]) == 0

    state = json.loads((run_dir / "state.json").read_text())
    assert list(state["finished"]) == ["propose", "rollout", "judge", "fbc"]
    tasks = json.loads((run_dir / "propose" / "tasks.json").read_text())
    assert len(tasks) == 2 and all(t["start_url"].startswith("__WIKIPEDIA__") for t in tasks)
    meta = json.loads((run_dir / "propose" / "tasks.meta.json").read_text())
    assert meta["report"]["wikipedia"]["kept"] + meta["report"]["wikipedia"]["topped_up"] == 2

    rolled = EpisodeStore(run_dir / "rollout" / "episodes").read()
    assert len(rolled) == 2
    for episode in rolled:
        assert 1 <= len(episode.turns) <= 2 and not episode.error
        evidence = episode.turns[-1].info["evidence"]
        assert evidence["url"].startswith("http://127.0.0.1:")
        assert evidence["screenshots"] and all((run_dir / p).is_file() for p in evidence["screenshots"])

    judged = EpisodeStore(run_dir / "judge" / "episodes").read()
    assert sorted(e.episode_id for e in judged) == sorted(e.episode_id for e in rolled)
    for episode in judged:
        assert set(episode.info["judge"]) == {"success", "parsed", "reason", "confidence"}
        assert episode.turns[-1].reward == float(episode.success)

    # A tiny agent never answers, so nothing is kept and the model passes on unchanged.
    assert state["artifacts"]["fbc.checkpoint"] == state["artifacts"]["model"]
    assert (run_dir / "metrics.csv").read_text().count("\n") == 5  # header + one row per stage


def _shrunk_tiny_recipe() -> dict:
    """recipes/pae_web_tiny.yaml as it is wired, with a tiny model in every role and one task per step."""
    recipe = yaml.safe_load(Path("recipes/pae_web_tiny.yaml").read_text())
    recipe |= {"model": "tiny", "tiny": {"hidden_size": 64, "layers": 1}}
    for stage in recipe["stages"]:
        settings = stage.get(stage["type"], {})
        stage["inputs"] = {
            k: "model" if v == "smollm2-135m" else v for k, v in stage.get("inputs", {}).items()
        }
        if stage["type"] == "demonstrations":
            settings["task_ids"] = [0, 49]
        elif stage["type"] == "webarena_eval":
            settings |= {"task_ids": [0], "max_steps": 2, "max_new_tokens": 8}
        elif stage["type"] == "propose":
            settings |= {"sites": ["shopping"], "tasks_per_site": 1, "max_new_tokens": 8}
        elif stage["type"] == "web_rollout":
            settings |= {"max_steps": 2, "max_new_tokens": 8}
        elif stage["type"] == "judge":
            settings["max_new_tokens"] = 8
        elif stage["type"] == "filtered_bc":
            settings |= {"epochs": 1, "trajectories": 4}
    return recipe


@pytest.mark.timeout(900)
def test_the_tiny_pae_recipe_warm_starts_evaluates_held_out_and_reports(tmp_path):
    recipe = tmp_path / "pae_tiny.yaml"
    recipe.write_text(yaml.safe_dump(_shrunk_tiny_recipe(), sort_keys=False))
    run_dir = tmp_path / "run"
    assert main(["run", str(recipe), "--out", str(run_dir)]) == 0

    state = json.loads((run_dir / "state.json").read_text())
    assert list(state["finished"])[-1] == "report" and len(state["finished"]) == 10
    demos = EpisodeStore(run_dir / state["artifacts"]["demonstrations.episodes"]).read()
    assert len(demos) == 2 and all(e.success for e in demos)
    warm = state["artifacts"]["warm_start.checkpoint"]
    assert warm != state["artifacts"]["model"]  # the warm start trained on the demonstrations
    # the replay buffer starts with the demonstrations, so every iteration trains even without a judged success
    assert state["artifacts"]["fbc_1.checkpoint"] != warm
    report = json.loads((run_dir / state["artifacts"]["report.json"]).read_text())
    assert [p["label"] for p in report["heldout"]] == ["eval_0", "eval_1"]
    assert report["before_warm_start"]["label"] == "eval_base" and report["heldout"][0]["tasks"] == 1
    eval_rows = (run_dir / "eval_0" / "webarena" / "results.jsonl").read_text()
    assert "Ironwood Essential Webcam" not in eval_rows  # seed 1: the held-out shop sells other products
    assert len(report["iterations"]) == 1 and report["iterations"][0]["trained_on"] >= 2
    buffer = EpisodeStore(run_dir / state["artifacts"]["fbc_1.replay"]).read()
    judged_in_buffer = sum(bool((e.info.get("judge") or {}).get("success")) for e in buffer)
    assert report["iterations"][0]["trained_on_judged"] <= judged_in_buffer  # demonstrations do not count
    assert report["judge"]["pooled"]["n"] >= 1  # topped-up bundled tasks carry rule scores
    assert (run_dir / state["artifacts"]["report.figure"]).is_file()
