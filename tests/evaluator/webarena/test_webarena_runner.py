"""The eval runner: a browser killed mid-episode fails that episode only; the rest run and are kept."""

import http.server
import os
import signal
import threading

import pytest

from envs.web.browser import BrowserHost
from envs.web.env import WebEnvConfig
from envs.web.tasks import parse_task
from evaluator.webarena.runner import EpisodeRunner, RunSettings, reset_lanes

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


def _task(task_id, base, sites=("shopping",), require_reset=False):
    return parse_task(
        {
            "task_id": task_id,
            "sites": list(sites),
            "intent": "What is the answer?",
            "start_url": base + "/",
            "require_reset": require_reset,
            "eval": {"eval_types": ["string_match"], "reference_answers": {"exact_match": "7"}},
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
        runner = EpisodeRunner(settings, lambda task: Answers(host, kill=task.task_id == 1), host=host)
        rows = runner.run(tasks)
        assert [r["task_id"] for r in rows] == [0, 1, 2]
        assert [r["score"] for r in rows] == [1.0, 0.0, 1.0]
        assert "browser crashed" in rows[1]["error"] and rows[0]["error"] is None and rows[2]["error"] is None
        assert host.launches == 2
        # finished episodes are on disk, and a rerun skips them
        assert len((tmp_path / "results.jsonl").read_text().splitlines()) == 3
        assert EpisodeRunner(settings, lambda task: Answers(host, kill=True), host=host).run(tasks) == rows
    finally:
        host.close()
        server.shutdown()


def test_reset_lanes_keep_tasks_on_shared_sites_together():
    base = "http://127.0.0.1:1"
    tasks = [
        _task(1, base, ("shopping",), True),
        _task(2, base, ("reddit",), True),
        _task(3, base, ("shopping_admin",), True),  # the same database as shopping
        _task(4, base, ("wikipedia",), True),
        _task(5, base, ("wikipedia", "reddit"), True),
    ]
    lanes = sorted([t.task_id for t in lane] for lane in reset_lanes(tasks))
    assert lanes == [[1, 3], [2, 4, 5]]
