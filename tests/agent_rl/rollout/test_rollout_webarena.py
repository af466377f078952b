"""WebArena runs through run_rollouts: a browser killed mid-episode fails that episode only; the rest run,
are kept in the store, and results.jsonl is its view; state-changing tasks get their own lane."""

import http.server
import os
import signal
import threading

import pytest

from agent_rl.rollout.store import EpisodeStore
from agent_rl.rollout.webarena import RunSettings, changes_state, lane_sites, rescore_run, run_webarena
from envs.web.browser import BrowserHost
from envs.web.env import WebEnvConfig
from envs.web.tasks import parse_task

pytestmark = pytest.mark.timeout(180)


class Page(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        data = b"<html><body><h1>Answer page</h1><p>The answer is 7.</p></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _task(task_id, base, sites=("shopping",), require_reset=False, eval_types=("string_match",), **ev):
    if "string_match" in eval_types:
        ev["reference_answers"] = {"exact_match": "7"}
    return parse_task(
        {
            "task_id": task_id,
            "sites": list(sites),
            "intent": "What is the answer?",
            "start_url": base + "/",
            "require_reset": require_reset,
            "eval": {"eval_types": list(eval_types), **ev},
        }
    )


class Answers:
    def __init__(self, host, kill):
        self.host, self.kill, self.turn = host, kill, 0

    def act(self, obs):
        self.turn += 1
        if self.kill and self.turn == 1:
            os.kill(self.host.browser_pid(), signal.SIGKILL)
            return "scroll [down]"
        return "stop [7]"


def test_killed_browser_fails_one_episode_and_the_run_goes_on(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    host = BrowserHost()
    try:
        tasks = [_task(i, base) for i in range(3)]
        settings = RunSettings(tmp_path, {"SHOPPING": base}, parallel=1, env=WebEnvConfig(screenshots=False))
        agents = {0: Answers(host, False), 1: Answers(host, True), 2: Answers(host, False)}
        rows = run_webarena(tasks, settings, make_agent=lambda task: agents[task.task_id], host=host)
        assert [r["task_id"] for r in rows] == [0, 1, 2]
        assert [r["score"] for r in rows] == [1.0, 0.0, 1.0]
        assert "browser crashed" in rows[1]["error"] and rows[0]["error"] is None and rows[2]["error"] is None
        assert rows[0]["answer"] == "7" and rows[0]["final_url"] == base + "/"
        assert host.launches == 2
        # finished episodes are in the store, results.jsonl is its view, and a rerun skips them
        assert len(EpisodeStore(tmp_path).read()) == 3
        assert len((tmp_path / "results.jsonl").read_text().splitlines()) == 3
        again = run_webarena(tasks, settings, make_agent=lambda task: Answers(host, kill=True), host=host)
        assert again == rows
    finally:
        host.close()
        server.shutdown()


def test_a_finished_run_is_rescored_from_what_it_recorded_without_the_sites(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    host = BrowserHost()
    heading = {"locator": "document.querySelector('h1').outerText", "url": base + "/"}
    tasks = [
        _task(0, base),
        _task(
            1,
            base,
            eval_types=["program_html"],
            program_html=[{**heading, "required_contents": {"exact_match": "Answer page"}}],
        ),
        _task(
            2,
            base,
            eval_types=["program_html"],
            program_html=[{**heading, "required_contents": {"must_include": ["Question"]}}],
        ),
    ]
    try:
        settings = RunSettings(tmp_path, {"SHOPPING": base}, parallel=2, env=WebEnvConfig(screenshots=False))
        rows = run_webarena(tasks, settings, make_agent=lambda task: Answers(host, False), host=host)
    finally:
        host.close()
        server.shutdown()
    assert [r["score"] for r in rows] == [1.0, 1.0, 0.0]
    rescored = {r["task_id"]: r for r in rescore_run(tmp_path)}  # the sites are gone
    assert {k: r["score"] for k, r in rescored.items()} == {0: 1.0, 1: 1.0, 2: 0.0}
    assert all(r["score"] == r["recorded_score"] and r["error"] is None for r in rescored.values())
    assert len((tmp_path / "rescored.jsonl").read_text().splitlines()) == 3


def test_state_changing_tasks_get_a_lane_on_their_sites():
    base = "http://127.0.0.1:1"
    admin = _task(3, base, ("shopping_admin",))
    assert lane_sites(admin) == {"shopping"}  # the same database as the storefront
    assert changes_state(_task(1, base, require_reset=True))
    assert not changes_state(_task(2, base))
    html_task = _task(4, base).model_copy(
        update={"eval": _task(4, base).eval.model_copy(update={"eval_types": ["program_html"]})}
    )
    assert changes_state(html_task)  # published configs say require_reset: false, program_html still writes
