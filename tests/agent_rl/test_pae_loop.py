"""The PAE loop through the recipe runner: propose -> web rollout in Chromium -> judge -> filtered BC."""

import json

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
        assert set(episode.info["judge"]) == {"success", "parsed", "reason"}
        assert episode.turns[-1].reward == float(episode.success)

    # A tiny agent never answers, so nothing is kept and the model passes on unchanged.
    assert state["artifacts"]["fbc.checkpoint"] == state["artifacts"]["model"]
    assert (run_dir / "metrics.csv").read_text().count("\n") == 5  # header + one row per stage
