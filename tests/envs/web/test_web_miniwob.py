"""MiniWoB++ pages through WebEnv: served on loopback, started and scored by the pages' own JavaScript."""

from __future__ import annotations

import json
import urllib.request

import pytest

from agent_rl.cli import main as cli_main
from agent_rl.errors import UserError
from envs.web.browser import BrowserHost
from envs.web.env import WebEnv, WebEnvConfig
from envs.web.miniwob.page import MiniWobScorer
from envs.web.miniwob.server import MINIWOB_VAR, serve_miniwob
from envs.web.miniwob.tasks import STANDARD, miniwob_task, resolve_names, task_names

pytest.importorskip("miniwob", reason="MiniWoB++ pages come from the miniwob package (pip install --no-deps)")
pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def pages():
    with serve_miniwob() as base:
        yield base


@pytest.fixture(scope="module")
def env(pages):
    host = BrowserHost()
    env = WebEnv(
        WebEnvConfig(screenshots=False, prewarm=False), MiniWobScorer(), host=host, urls={MINIWOB_VAR: pages}
    )
    yield env
    env.close()
    host.close()


def _id(obs, role, name):
    return next(e["id"] for e in obs["elements"] if e["role"] == role and e["name"] == name)


def test_the_package_pages_are_listed_and_served(pages):
    names = task_names()
    assert len(names) > 100 and set(STANDARD) <= set(names)
    assert resolve_names("ci") == ["click-test", "click-button", "focus-text"]
    with pytest.raises(UserError, match="unknown MiniWoB"):
        resolve_names("click-button,no-such-task")
    with urllib.request.urlopen(f"{pages}/core/core.js", timeout=10) as resp:
        assert b"startEpisodeReal" in resp.read()


def test_the_right_click_ends_the_episode_with_the_pages_reward(env, pages):
    obs, info = env.reset(seed=0, options={"task": miniwob_task("click-test", pages)})
    assert info["intent"] == "Click the button." and obs["intent"] == "Click the button."
    obs, reward, terminated, truncated, info = env.step(f"click [{_id(obs, 'button', 'Click Me!')}]")
    assert terminated and not truncated and reward == 1.0 and info["success"] is True
    assert info["eval"]["raw_reward"] == 1.0 and 0 < info["eval"]["reward"] <= 1.0  # the time penalty


def test_a_wrong_button_ends_with_the_pages_negative_reward(env, pages):
    obs, info = env.reset(seed=3, options={"task": miniwob_task("click-test-2", pages)})
    wanted = info["intent"].removeprefix("Click button ").rstrip(".")  # "Click button ONE."
    wrong = next(e for e in obs["elements"] if e["role"] == "button" and e["name"] != wanted)
    _, reward, terminated, _, info = env.step(f"click [{wrong['id']}]")
    assert terminated and reward == 0.0 and info["success"] is False and info["eval"]["raw_reward"] == -1.0


def test_the_seed_sets_the_episode(env, pages):
    task = miniwob_task("click-button", pages)
    intents = [env.reset(seed=s, options={"task": task})[1]["intent"] for s in (5, 5, 6, 7, 8)]
    assert intents[0] == intents[1] and len(set(intents[1:])) > 1


def test_eval_cli_runs_tasks_through_the_runner_and_store_and_resumes(tmp_path):
    argv = ["eval", "miniwob", "--tasks", "ci", "--model", "random", "--episodes", "1", "--max-steps", "3"]
    argv += ["--out", str(tmp_path), "--no-progress", "--parallel", "3"]
    assert cli_main(argv) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert sorted(summary["tasks"]) == ["click-button", "click-test", "focus-text"]
    assert summary["episodes"] == 3 and all(row["episodes"] == 1 for row in summary["tasks"].values())
    assert "| click-test | 1 |" in (tmp_path / "report.md").read_text()
    assert cli_main(argv) == 0  # a rerun finds every episode in the store and runs none again
    assert len((tmp_path / "episodes.jsonl").read_text().splitlines()) == 3
