"""End to end on the bundled sites: every oracle scores 1 and every wrong answer 0, through the real browser."""

import json

import pytest

from agent_rl.backends.base import Generation
from agent_rl.cli import main
from agent_rl.rollout.webarena import RunSettings, run_webarena
from envs.web.env import WebEnvConfig
from envs.web.oracles import WRONG_ANSWER
from envs.web.tasks import BUNDLED_TASKS, load_bundled_tasks
from evaluator.webarena import evaluate_task
from evaluator.webarena.scripted import wrong_agent

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


@pytest.fixture
def sites(bundled_sites):
    yield bundled_sites
    bundled_sites.reset()  # leave the seed state for the other tests


class _Refuses:
    """Stands in for the LLM judge (which cannot run here) on the wrong answers of fuzzy and N/A tasks."""

    name = "refuses"

    def generate(self, prompts, params):
        return [Generation(text="incorrect; different") for _ in prompts]


class _AtUrl:
    def __init__(self, url):
        self.url = url


def _url_flags(sites):
    return [arg for key, url in sites.urls.items() for arg in (f"--{key.replace('_', '-')}", url)]


def test_every_oracle_scores_one_and_every_wrong_answer_zero(
    sites, bundled_auth_dir, tmp_path, oracle_failures
):
    tasks = load_bundled_tasks(sites.env_vars())
    out = tmp_path / "oracle"
    args = [
        "eval",
        "webarena",
        "--tasks",
        str(BUNDLED_TASKS),
        *_url_flags(sites),
        "--auth-dir",
        str(bundled_auth_dir),
        "--helpers",
        "bundled",
    ]
    assert main([*args, "--model", "oracle", "--out", str(out), "--parallel", "4", "--no-screenshots"]) == 0
    rows = {str(r["task_id"]): r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())}
    assert set(rows) == {str(t.task_id) for t in tasks}
    failed = oracle_failures(list(rows.values()))
    assert not failed, failed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["overall"] == {"tasks": len(tasks), "success": len(tasks), "rate": 1.0}
    assert set(summary["by_eval_type"]) >= {"string_match", "url_match", "program_html"}
    assert (out / "report.html").read_text().count("<details") == len(tasks)

    # Wrong variants. A string_match task's wrong variant is the oracle's steps with a wrong final answer;
    # without program_html nothing else reads the page, so it is scored on the oracle's final URL with the
    # wrong answer. Every other task is run for real, stopping at once without changing anything.
    by_answer = [
        t for t in tasks if "string_match" in t.eval.eval_types and "program_html" not in t.eval.eval_types
    ]
    for task in by_answer:
        final = _AtUrl(rows[str(task.task_id)]["steps"][-1]["url"])
        result = evaluate_task(task, WRONG_ANSWER, final, judge=_Refuses(), urls=sites.env_vars())
        assert result.score == 0.0, task.task_id
    others = [t for t in tasks if t not in by_answer]
    settings = RunSettings(
        out_dir=tmp_path / "wrong",
        urls=sites.env_vars(),
        parallel=4,
        env=WebEnvConfig(screenshots=False, auth_dir=str(bundled_auth_dir)),
        save_screenshots=False,
    )
    wrong = run_webarena(
        others, settings, make_agent=lambda task: wrong_agent(task, sites.env_vars()), reset_site=sites.reset
    )
    assert len(wrong) == len(others)
    assert all(r["error"] is None for r in wrong), [r["error"] for r in wrong if r["error"]]
    assert [r["task_id"] for r in wrong if r["score"] != 0.0] == []


def test_eval_bundled_starts_its_own_sites(tmp_path):
    out = tmp_path / "bundled"
    assert (
        main(["eval", "webarena", "--bundled", "--model", "oracle", "--out", str(out), "--task-ids", "0,1"])
        == 0
    )
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(str(r["task_id"]) for r in rows) == ["0", "1"] and all(r["success"] for r in rows)
    assert "<img" in (out / "report.html").read_text() and all(r["screenshots"] for r in rows)
    # a rerun resumes: nothing is run twice
    assert (
        main(["eval", "webarena", "--bundled", "--model", "oracle", "--out", str(out), "--task-ids", "0,1"])
        == 0
    )
    assert len((out / "results.jsonl").read_text().splitlines()) == 2


def test_eval_with_a_tiny_model_runs_and_scores(tmp_path):
    """A model agent goes through the backend; a tiny untrained model fails, but cleanly."""
    from agent_rl.models.tiny import build_tiny_text_model

    model = build_tiny_text_model(tmp_path / "tiny", seed=0)
    out = tmp_path / "model"
    args = ["eval", "webarena", "--bundled", "--model", str(model), "--out", str(out), "--task-ids", "0"]
    args += ["--max-steps", "2", "--max-new-tokens", "8", "--max-tree-chars", "800", "--no-screenshots"]
    assert main(args) == 0
    (row,) = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert row["error"] is None and row["score"] == 0.0 and 1 <= len(row["steps"]) <= 2
