"""The control_compare stage: curves and a table from finished control_train stage folders."""

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent_rl.errors import UserError
from agent_rl.stages.control_compare import Config, run, table


@dataclass
class Ctx:
    run_dir: Path
    stage_dir: Path


def _stage(root: Path, name: str, agent: str, history: list, qs: list, episodes: int | None = None) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    results = {
        "agent": agent,
        "steps": history[-1][0],
        **({"eval_episodes": episodes} if episodes else {}),
        "success": history[-1][1],
        "success_per_task": {"task1": history[-1][1]},
        "history": {"task1": history},
    }
    (folder / "results.json").write_text(json.dumps(results))
    lines = [json.dumps({"step": s, "q_mean": q, "task": 1}) for s, q in qs]
    (folder / "metrics.jsonl").write_text("\n".join(lines) + "\n")


def test_compare_writes_plots_a_table_and_the_curves(tmp_path):
    _stage(tmp_path, "fql", "fql", [[100, 0.0], [200, 0.4]], [(50, -1.0), (100, -2.0)])
    _stage(tmp_path, "iql", "iql", [[100, 0.2], [200, 0.1]], [(50, -0.5)])
    out = tmp_path / "cmp"
    out.mkdir()
    artifacts = run(Config(runs={"FQL": "fql", "IQL": "iql"}, online_from=150), Ctx(tmp_path, out))
    assert artifacts["table"] == "cmp/table.md"
    for name in ("success.png", "q.png"):
        assert (out / name).stat().st_size > 1000
    data = json.loads((out / "comparison.json").read_text())
    assert data["FQL"]["success_curve"] == [[100, 200], [0.0, 0.4]]
    assert data["FQL"]["best_success"] == 0.4 and data["IQL"]["best_success"] == 0.2
    assert data["FQL"]["final_q"] == -2.0
    text = (out / "table.md").read_text()
    assert "| FQL | fql | 200 | 0.40 | 0.40 | – | 0.40 | -2.00 |" in text


def test_table_gives_the_wilson_interval_of_the_final_success(tmp_path):
    _stage(tmp_path, "fql", "fql", [[100, 0.0], [200, 0.1]], [(100, -1.0)], episodes=20)
    _stage(tmp_path, "iql", "iql", [[200, 0.0]], [(100, -1.0)], episodes=20)
    out = tmp_path / "cmp"
    out.mkdir()
    run(Config(runs={"FQL": "fql", "IQL": "iql"}), Ctx(tmp_path, out))
    data = json.loads((out / "comparison.json").read_text())
    low, high = data["FQL"]["success_interval"]  # 2 of 20: Wilson 0.028-0.301
    assert (round(low, 3), round(high, 3)) == (0.028, 0.301)
    assert data["IQL"]["success_interval"][0] == 0.0 and 0.15 < data["IQL"]["success_interval"][1] < 0.17
    text = (out / "table.md").read_text()
    assert "| FQL | fql | 200 | 0.10 | 0.10 | 0.03–0.30 (n=20) | 0.10 | -1.00 |" in text


def test_compare_needs_finished_stages(tmp_path):
    (tmp_path / "cmp").mkdir()
    with pytest.raises(UserError, match="no results.json"):
        run(Config(runs={"FQL": "missing"}), Ctx(tmp_path, tmp_path / "cmp"))


def test_table_marks_runs_without_q():
    row = {
        "agent": "iql",
        "steps": 5,
        "success": 0.0,
        "success_per_task": {"task1": 0.0},
        "best_success": 0.0,
    }
    assert "| x | iql | 5 | 0.00 | 0.00 | – | 0.00 | – |" in table({"x": {**row, "final_q": None}})
