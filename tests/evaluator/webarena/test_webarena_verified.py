"""WebArena-Verified tasks on the bundled sites, scored by the webarena-verified package's own evaluators from
the agent's JSON answer and the episode's recorded network trace: right answers 1, wrong ones 0, live and
when the run folder is rescored offline."""

from __future__ import annotations

import json

import pytest

from agent_rl.cli import main
from agent_rl.rollout.webarena import RunSettings, run_webarena
from envs.web.env import WebEnvConfig
from envs.web.oracles import oracle_actions
from envs.web.sites import start_sites
from evaluator.webarena.scripted import ScriptedAgent
from evaluator.webarena.verified import load_verified_tasks, score_verified

pytest.importorskip("webarena_verified.types.tracing", reason="webarena-verified is not installed")
pytestmark = pytest.mark.timeout(300)


def _verified(task_id, intent, response, network=None, schema=None):
    """A task in WebArena-Verified's format on the bundled forum (its ids are the bundled tasks' ids)."""
    evaluators = [
        {
            "evaluator": "AgentResponseEvaluator",
            "results_schema": schema or {"type": "null"},
            "expected": response,
        }
    ]
    if network:
        evaluators.append({"evaluator": "NetworkEventEvaluator", "expected": network})
    return {
        "sites": ["reddit"],
        "task_id": task_id,
        "intent_template_id": task_id,
        "start_urls": ["__REDDIT__"],
        "intent": intent,
        "intent_template": intent,
        "instantiation_dict": {},
        "eval": evaluators,
        "revision": 1,
    }


TASKS = [
    _verified(
        51,
        "How many subscribers does f/travel have?",
        {"task_type": "retrieve", "status": "SUCCESS", "retrieved_data": [2786]},
        schema={"type": "array", "items": {"type": "number"}},
    ),
    _verified(
        59,
        "Show the newest posts in f/music.",
        {"task_type": "navigate", "status": "SUCCESS", "retrieved_data": None},
        network={"url": "__REDDIT__/f/music?sort=new", "http_method": "GET", "response_status": 200},
    ),
    _verified(
        64,
        "Reply to the post 'Weekly night trains discussion thread' with the comment 'Thanks, this helped a lot!'.",
        {"task_type": "mutate", "status": "SUCCESS", "retrieved_data": None},
        network={
            "url": "__REDDIT__/f/travel/15/comment",
            "http_method": "POST",
            "post_data": {"body": "Thanks, this helped a lot!"},
            "response_status": 303,
        },
    ),
]


@pytest.fixture(scope="module")
def bundled_sites():
    with start_sites(["forum"]) as sites:
        yield sites


def _answer(task_type, data=None):
    return json.dumps(
        {"task_type": task_type, "status": "SUCCESS", "retrieved_data": data, "error_details": None}
    )


RIGHT = {51: _answer("RETRIEVE", [2786]), 59: _answer("NAVIGATE"), 64: _answer("MUTATE")}
WRONG = {51: _answer("RETRIEVE", [2787]), 59: _answer("NAVIGATE"), 64: _answer("MUTATE")}


def _agent(urls, answers, act):
    """The bundled oracle's steps (ACT) or none at all (a wrong run), ending with a JSON answer."""

    def make(task):
        steps = [s for s in oracle_actions(task.task_id, urls) if s["action"] != "stop"] if act else []
        return ScriptedAgent([*steps, {"action": "stop", "answer": answers[task.task_id]}])

    return make


def test_verified_tasks_score_right_answers_one_and_wrong_ones_zero_live_and_offline(bundled_sites, tmp_path):
    urls = bundled_sites.env_vars()
    tasks = load_verified_tasks(TASKS, urls)
    assert [t.require_reset for t in tasks] == [False, False, True]  # the mutate task gets its site's lane
    config = WebEnvConfig(screenshots=False, login="fresh", login_flows="bundled", record_network=True)

    def run(folder, answers, act):
        settings = RunSettings(tmp_path / folder, urls, parallel=2, env=config, save_screenshots=False)
        rows = run_webarena(
            tasks, settings, make_agent=_agent(urls, answers, act), reset_site=bundled_sites.reset
        )
        return {r["task_id"]: r for r in rows}

    try:
        right = run("right", RIGHT, act=True)
        assert {k: r["score"] for k, r in right.items()} == {51: 1.0, 59: 1.0, 64: 1.0}, right
        assert all(r["eval"]["evaluator"] == "webarena-verified" for r in right.values())
        wrong = run("wrong", WRONG, act=False)  # a wrong number; navigating or posting nothing
        assert {k: r["score"] for k, r in wrong.items()} == {51: 0.0, 59: 0.0, 64: 0.0}, wrong
        # a right answer without the work behind it is not enough: the trace shows no navigation / post
        failed = {r["evaluator_name"] for r in wrong[64]["eval"]["evaluators_results"] if r["score"] == 0.0}
        assert failed == {"NetworkEventEvaluator"}
    finally:
        bundled_sites.reset()

    # WebArena-Verified's run layout in each episode folder, and the package's reader takes it
    folder = tmp_path / "right" / "episodes" / "64"
    assert json.loads((folder / "agent_response.json").read_text())["task_type"] == "MUTATE"
    har = json.loads((folder / "network.har").read_text())
    assert score_verified(tasks[2].model_dump(), RIGHT[64], har, urls).score == 1.0
    assert score_verified(tasks[2].model_dump(), RIGHT[64], None, urls).score == 0.0  # no trace, no post

    for name, expected in (("right", 3), ("wrong", 0)):  # offline, the sites no longer needed
        assert main(["score", "webarena", str(tmp_path / name)]) == 0
        rows = [json.loads(line) for line in (tmp_path / name / "rescored.jsonl").read_text().splitlines()]
        assert sum(r["score"] for r in rows) == expected
        assert all(r["score"] == r["recorded_score"] for r in rows)


def test_a_task_file_in_verified_format_is_checked_with_the_packages_model(tmp_path, capsys):
    bad = dict(TASKS[0], eval=[])  # no AgentResponseEvaluator
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([TASKS[1], bad]))
    assert main(["validate", "webarena", "--tasks", str(path)]) == 1
    out = capsys.readouterr().out
    assert "2 tasks, 1 scoreable" in out and "task 51: task 51 is not a valid WebArena-Verified task" in out
    code = main(
        ["eval", "webarena", "--tasks", str(path), "--reddit", "http://127.0.0.1:9", "--model", "oracle"]
        + ["--out", str(tmp_path / "out")]
    )
    assert code == 2
    assert "task 51 is not a valid WebArena-Verified task" in capsys.readouterr().err


def _navigation(url):
    request = {"method": "GET", "url": url, "headers": [{"name": "Accept", "value": "text/html"}]}
    return {"request": request, "response": {"status": 200, "headers": [], "redirectURL": ""}}


def test_a_published_task_is_scored_from_its_trace_with_the_site_urls_of_the_run():
    from evaluator.webarena.datasets import read_verified

    gitlab = "http://gitlab.test:8023"
    raw = next(t for t in read_verified("verified") if t["task_id"] == 44)  # "Open my todos page"
    task = load_verified_tasks([raw], {"GITLAB": gitlab})[0].model_dump()
    assert task["start_url"] == gitlab and task["require_login"] is True
    answer = _answer("NAVIGATE")
    todos = {"log": {"entries": [_navigation(gitlab + "/"), _navigation(gitlab + "/dashboard/todos")]}}
    assert score_verified(task, answer, todos, {"GITLAB": gitlab}).score == 1.0
    elsewhere = {"log": {"entries": [_navigation(gitlab + "/dashboard/todos"), _navigation(gitlab + "/")]}}
    assert score_verified(task, answer, elsewhere, {"GITLAB": gitlab}).score == 0.0  # the last page counts
    assert (
        score_verified(task, "Early stop: 3 unparsable actions in a row", todos, {"GITLAB": gitlab}).score
        == 0.0
    )
