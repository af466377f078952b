"""The network trace an episode records (HAR), read back by WebArena-Verified's own trace reader."""

from __future__ import annotations

import http.server
import json
import threading

import pytest

from envs.web.env import WebEnv, WebEnvConfig
from envs.web.network import write_har

pytestmark = pytest.mark.timeout(120)

PAGE = b"""<html><head><link rel="stylesheet" href="/style.css"></head><body>
<form method="post" action="/submit"><input name="q" value="lamp &amp; shade"><button>Send</button></form>
<script>fetch('/api.json', {headers: {'X-Requested-With': 'XMLHttpRequest'}});</script></body></html>"""


class Site(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, status, body=b"", kind="text/html", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/style.css":
            self._send(200, b"body { color: black }", "text/css")
        elif self.path == "/api.json":
            self._send(200, json.dumps({"ok": True, "items": [1, 2]}).encode(), "application/json")
        else:
            self._send(200, PAGE if self.path == "/" else b"<html><body>done</body></html>")

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self._send(303, headers=[("Location", "/done"), ("Set-Cookie", "flash=saved%20it; Path=/")])


@pytest.fixture
def site():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_recorded_trace_reads_back_through_webarena_verifieds_reader(site, tmp_path):
    tracing = pytest.importorskip("webarena_verified.types.tracing", reason="webarena-verified not installed")
    env = WebEnv(WebEnvConfig(screenshots=False, record_network=True), urls={"SHOPPING": site})
    try:
        task = {"task_id": 1, "sites": ["shopping"], "intent": "send it", "start_url": site + "/", "eval": {}}
        obs, _ = env.reset(options={"task": task})
        button = next(node for node, role, name in obs["nodes"] if role == "button" and name == "Send")
        obs, *_ = env.step(f"click [{button}]")
        assert obs["url"] == site + "/done"
        path = write_har(env.session.network_har(), tmp_path / "network.har")
    finally:
        env.close()

    trace = tracing.NetworkTrace.from_har(path)  # their reader, on the file as written
    by_url = {(e.http_method, e.url): e for e in trace.events}
    assert set(by_url) == {
        ("GET", site + "/"),
        ("GET", site + "/api.json"),
        ("POST", site + "/submit"),
        ("GET", site + "/done"),
    }  # the stylesheet, a static asset the evaluators skip, is not kept
    assert [e.url for e in trace.events if e.is_navigation_event] == [site + "/", site + "/done"]
    post = by_url[("POST", site + "/submit")]
    assert post.post_data == {"q": "lamp & shade"}
    assert post.is_redirect and post.redirect_url == "/done" and post.request_status == 303
    assert post.response_cookies == {"flash": "saved it"}
    api = by_url[("GET", site + "/api.json")]
    assert api.response_content == {"ok": True, "items": [1, 2]}
    assert api.request_headers["x-requested-with"] == "xmlhttprequest"
    assert by_url[("GET", site + "/done")].request_headers["cookie"] == "flash=saved%20it"


def test_the_trace_is_bounded_and_says_what_it_left_out(site, monkeypatch):
    import envs.web.network as network

    monkeypatch.setattr(network, "MAX_BODIES_CHARS", 20)  # the API's JSON (29) goes, the form (16) stays
    env = WebEnv(WebEnvConfig(screenshots=False, record_network=True), urls={"SHOPPING": site})
    try:
        task = {"task_id": 1, "sites": ["shopping"], "intent": "x", "start_url": site + "/", "eval": {}}
        obs, _ = env.reset(options={"task": task})
        button = next(node for node, role, name in obs["nodes"] if role == "button" and name == "Send")
        env.step(f"click [{button}]")
        log = env.session.network_har()["log"]
        by_url = {e["request"]["url"]: e for e in log["entries"]}
        assert "text" not in by_url[site + "/api.json"]["response"]["content"]
        assert by_url[site + "/submit"]["request"]["postData"]["text"] == "q=lamp+%26+shade"
        assert "1 bodies left out" in log["comment"]
        monkeypatch.setattr(network, "MAX_ENTRIES", 1)
        env.reset(options={"task": task})
        env.step("goto [" + site + "/done]")
        log = env.session.network_har()["log"]
        assert [e["request"]["url"] for e in log["entries"]] == [site + "/"]
        assert "later requests not recorded" in log["comment"]
    finally:
        env.close()


def test_no_trace_is_kept_unless_asked(site):
    env = WebEnv(WebEnvConfig(screenshots=False), urls={"SHOPPING": site})
    try:
        env.reset(
            options={"task": {"task_id": 1, "sites": ["shopping"], "intent": "x", "start_url": site + "/"}}
        )
        assert env.session.network_har() is None
    finally:
        env.close()
