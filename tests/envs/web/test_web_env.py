"""WebEnv against small real pages served on loopback: observations, actions, limits, security, faults."""

import asyncio
import http.server
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass

import gymnasium
import pytest
from gymnasium.utils.env_checker import check_env
from PIL import Image

import envs.web
from agent_rl.errors import UserError
from envs.web.browser import BrowserHost
from envs.web.env import WebEnv, WebEnvConfig

pytestmark = pytest.mark.timeout(120)

PAGES = {
    "/": """<html><head><title>Home</title></head><body><h1>Loopback shop</h1>
<a href="/two">Second page</a>
<form action="/search" method="get"><input name="q" aria-label="Search"><button type="submit">Go</button></form>
<button id="off" onclick="fetch(window.OTHER + '/ping').catch(() => {})">Call other host</button>
<button id="slow" onclick="fetch('/api/slow').then(r => r.text()).then(t => {
  document.getElementById('out').textContent = t; })">Load data</button>
<div id="out"></div>
<a href="/login">Log in</a> <a href="/whoami">Who am I</a> <a href="/nothing">Nothing here</a>
<form action="/save" method="post"><button type="submit">Save it</button></form>
</body></html>""",
    "/two": "<html><head><title>Two</title></head><body><h1>Page two</h1><a href='/'>Home</a></body></html>",
    "/keys": """<html><body><input aria-label="City" id="city"><p id="seen">keys: 0</p><script>
let n = 0; document.getElementById('city').addEventListener('keydown', () => {
  n += 1; document.getElementById('seen').textContent = 'keys: ' + n; });</script></body></html>""",
    "/ws": """<html><body><p id="ws">connecting</p><script>
const ws = new WebSocket(window.OTHER.replace('http', 'ws') + '/socket');
ws.onopen = () => { document.getElementById('ws').textContent = 'ws open'; };
ws.onclose = () => { document.getElementById('ws').textContent = 'ws closed'; };</script></body></html>""",
    "/sw": """<html><body><p id="sw">registering</p><script>
navigator.serviceWorker.register('/sw.js').finally(() => {
  document.getElementById('sw').textContent = 'registration answered'; });</script></body></html>""",
}


class Handler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def log_message(self, *args):
        pass

    def _send(self, body: str, status: int = 200, headers: dict | None = None):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        type(self).hits.append(self.path)
        path = self.path.split("?")[0]
        if path == "/":
            other = self.server.other_base
            self._send(PAGES["/"].replace("</body>", f"<script>window.OTHER = '{other}';</script></body>"))
        elif path in ("/ws",):
            other = self.server.other_base
            self._send(PAGES[path].replace("<script>", f"<script>window.OTHER = '{other}';", 1))
        elif path in PAGES:
            self._send(PAGES[path])
        elif path == "/sw.js":
            self._send(
                "self.addEventListener('fetch', () => {});", headers={"Content-Type": "text/javascript"}
            )
        elif path == "/search":
            q = self.path.split("q=")[-1]
            self._send(f"<html><body><h1>Results for {q}</h1></body></html>")
        elif path == "/login":
            self._send("", 302, {"Set-Cookie": "session=secret42; Path=/", "Location": "/whoami"})
        elif path == "/whoami":
            cookie = self.headers.get("Cookie") or "nobody"
            self._send(f"<html><body><p>cookie: {cookie}</p></body></html>")
        elif path == "/api/slow":
            time.sleep(0.4)
            self._send("slow data arrived")
        elif path == "/nothing":  # 204: the browser starts the navigation, then stays on the page
            self.send_response(204)
            self.end_headers()
        elif path == "/ping":
            self._send("pong", headers={"Access-Control-Allow-Origin": "*"})
        else:
            self._send("missing", 404)

    def do_POST(self):
        type(self).hits.append(self.path)
        time.sleep(1.0)  # the save takes a while, then redirects, as the bundled sites' forms do
        self._send("", 302, {"Location": "/two"})


def _serve(handler):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def site():
    class Other(Handler):
        hits: list[str] = []

    class Main(Handler):
        hits: list[str] = []

    other = _serve(Other)
    other.other_base = ""
    main = _serve(Main)
    main.other_base = f"http://127.0.0.1:{other.server_address[1]}"
    yield {"base": f"http://127.0.0.1:{main.server_address[1]}", "main": Main, "other": Other}
    main.shutdown()
    other.shutdown()


@pytest.fixture(scope="module")
def host():
    h = BrowserHost()
    yield h
    h.close()


def _task(base, **extra):
    return {
        "task_id": "t1",
        "intent": "Find page two",
        "start_url": base + "/",
        "sites": ["shopping"],
        **extra,
    }


def _env(host, **config):
    return WebEnv(WebEnvConfig(evaluate=False, **config), host=host)


def _id(obs, role, name):
    for element in obs["elements"]:
        if element["role"] == role and element["name"] == name:
            return element["id"]
    raise AssertionError(f"no {role} {name!r} in {obs['axtree']}")


def test_observation_has_tree_images_elements_and_chat(site, host):
    env = _env(host, vision=True)
    obs, info = env.reset(options={"task": _task(site["base"])})
    link = _id(obs, "link", "Second page")
    assert f"[{link}] link 'Second page'" in obs["axtree"]
    assert isinstance(obs["screenshot"], Image.Image) and obs["screenshot"].size == (1280, 720)
    assert obs["som"].size == (1280, 720) and obs["som"].tobytes() != obs["screenshot"].tobytes()
    assert obs["url"] == site["base"] + "/" and obs["tabs"] == [site["base"] + "/"] and obs["error"] == ""
    roles = {m["role"] for m in obs["messages"]}
    assert roles == {"system", "user"}
    user = obs["messages"][-1]["content"]
    assert "Find page two" in user[0]["text"] and "link 'Second page'" in user[0]["text"]
    assert user[1] == {"type": "image"} and obs["images"] == [obs["som"]]
    env.close()


def test_pae_prompt_lists_the_labelled_elements_beside_the_marked_screenshot(site, host):
    env = _env(host, vision=True, prompt_view="elements")
    obs, _ = env.reset(options={"task": _task(site["base"])})
    link = _id(obs, "link", "Second page")
    text = obs["messages"][-1]["content"][0]["text"]
    assert "Labelled elements:" in text and f"[{link}] <a> Second page" in text
    assert "Accessibility tree" not in text
    assert obs["images"] == [obs["som"]]
    env.close()


def test_click_type_and_pae_forms_act_on_the_page(site, host):
    env = _env(host)
    obs, _ = env.reset(options={"task": _task(site["base"])})
    obs, *_ = env.step(f"Thought: open it. Action: Click [{_id(obs, 'link', 'Second page')}]")
    assert obs["url"] == site["base"] + "/two" and obs["error"] == ""
    obs, *_ = env.step("go_back")
    assert obs["url"] == site["base"] + "/"
    obs, *_ = env.step(f"type [{_id(obs, 'textbox', 'Search')}] [boots] [1]")
    assert obs["url"].endswith("/search?q=boots") and "Results for boots" in obs["axtree"]
    obs, *_ = env.step("GoBack")
    obs, *_ = env.step("new_tab")
    assert len(obs["tabs"]) == 2 and obs["url"] == "about:blank"
    obs, *_ = env.step("tab_focus [0]")
    assert obs["url"] == site["base"] + "/"
    obs, *_ = env.step("tab_focus [1]")
    obs, *_ = env.step("close_tab")
    assert obs["tabs"] == [site["base"] + "/"]
    obs, reward, terminated, truncated, _ = env.step("ANSWER; page two found")
    assert terminated and not truncated and env.answer == "page two found"
    env.close()


def test_the_prompt_after_a_step_lists_that_step(site, host):
    env = _env(host, screenshots=False, history=2)
    obs, _ = env.reset(options={"task": _task(site["base"])})
    first = f"Thought: open it. Action: click [{_id(obs, 'link', 'Second page')}]"
    obs, *_ = env.step(first)
    assert "Previous actions:\n- " + first in obs["messages"][-1]["content"][0]["text"]
    obs, *_ = env.step("go_back")
    obs, *_ = env.step("scroll [down]")
    text = obs["messages"][-1]["content"][0]["text"]
    assert first not in text and "- go_back\n- scroll [down]" in text  # only the last `history` steps
    env.close()


def test_waits_follow_page_events_not_a_fixed_sleep(site, host):
    env = _env(host, screenshots=False)
    obs, _ = env.reset(options={"task": _task(site["base"])})
    obs, _, _, _, info = env.step(f"click [{_id(obs, 'button', 'Load data')}]")
    assert "slow data arrived" in obs["axtree"]  # waited for the 0.4 s fetch
    obs, _, _, _, info = env.step("scroll [down]")
    assert info["latency_s"] < 0.4  # nothing pending: no wait at all
    env.close()


def test_a_form_post_is_waited_for_when_the_browser_reports_its_request_late(site, host):
    """A form POST the browser reports late (played here by holding back its request event 0.6 s, as a busy
    browser process might) is still waited for: the page's frames pause until the answer replaces the
    document, and the step reads the page it lands on, not the old one."""
    env = _env(host, screenshots=False)
    report = env.session._on_request

    def late(request):
        if request.method == "POST":  # before the server's 1 s answer, so it still counts as in flight
            asyncio.get_running_loop().call_later(0.6, report, request)
        else:
            report(request)

    env.session._on_request = late  # hooked up when the episode's context opens
    obs, _ = env.reset(options={"task": _task(site["base"])})
    obs, *_ = env.step(f"click [{_id(obs, 'button', 'Save it')}]")
    assert obs["url"] == site["base"] + "/two" and "Page two" in obs["axtree"]
    env.close()


def test_a_navigation_that_never_commits_leaves_no_wait_behind(site, host):
    """A link answered 204 starts a navigation but never replaces the page: the step stays on the page, and
    the next one does not wait for a navigation that will not come."""
    env = _env(host, screenshots=False)
    obs, _ = env.reset(options={"task": _task(site["base"])})
    obs, _, _, _, info = env.step(f"click [{_id(obs, 'link', 'Nothing here')}]")
    assert obs["url"] == site["base"] + "/" and obs["error"] == "" and "/nothing" in site["main"].hits
    obs, _, _, _, info = env.step("scroll [down]")
    assert info["latency_s"] < 0.4
    env.close()


def test_impossible_actions_are_errors_and_three_unparsable_ones_stop_early(site, host):
    env = _env(host, screenshots=False)
    env.reset(options={"task": _task(site["base"])})
    obs, _, terminated, _, _ = env.step("click [9999]")
    assert "no element [9999]" in obs["error"] and not terminated
    obs, _, terminated, _, _ = env.step("tab_focus [7]")
    assert "no tab 7" in obs["error"] and not terminated  # parsed but failed: WebArena does not count these
    obs, _, terminated, _, _ = env.step("make me a sandwich")
    assert "cannot parse action" in obs["error"] and not terminated
    env.step("still no action")
    obs, _, terminated, _, info = env.step("nor this")
    assert terminated and "3 unparsable actions" in info["early_stop"]
    env.close()


def test_three_repeated_actions_stop_and_step_limit_truncates(site, host):
    env = _env(host, screenshots=False, max_steps=4)
    env.reset(options={"task": _task(site["base"])})
    results = [env.step("scroll [down]") for _ in range(3)]
    assert [r[2] for r in results] == [False, False, True]
    assert "same action 3 times" in results[-1][4]["early_stop"]
    env.reset(options={"task": _task(site["base"])})
    results = [env.step(a) for a in ["scroll [down]", "scroll [up]", "scroll [down]", "scroll [up]"]]
    assert [r[3] for r in results] == [False, False, False, True]
    env.close()


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/",
        "file:///etc/passwd",
        "chrome://settings",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
    ],
)
def test_goto_off_site_is_refused(site, host, url):
    env = _env(host, screenshots=False)
    env.reset(options={"task": _task(site["base"])})
    obs, _, terminated, _, _ = env.step(f"goto [{url}]")
    assert obs["error"].startswith("refused") and obs["url"] == site["base"] + "/" and not terminated
    obs, *_ = env.step(f"goto [{site['base']}/two]")
    assert obs["error"] == "" and obs["url"] == site["base"] + "/two"
    env.close()


def test_requests_to_other_hosts_are_blocked(site, host):
    env = _env(host, screenshots=False)
    obs, _ = env.reset(options={"task": _task(site["base"])})
    site["other"].hits.clear()
    obs, *_ = env.step(f"click [{_id(obs, 'button', 'Call other host')}]")
    assert "blocked requests" in obs["error"] and "/ping" in obs["error"]
    assert site["other"].hits == []  # the other server never saw it
    env.close()


def test_each_episode_gets_a_fresh_context(site, host):
    env = _env(host, screenshots=False)
    obs, _ = env.reset(options={"task": _task(site["base"])})
    obs, *_ = env.step(f"click [{_id(obs, 'link', 'Log in')}]")
    assert "session=secret42" in obs["axtree"]
    obs, _ = env.reset(options={"task": _task(site["base"], start_url=site["base"] + "/whoami")})
    assert "cookie: nobody" in obs["axtree"]
    env.close()


def test_killed_browser_ends_episode_and_next_reset_relaunches(site):
    host = BrowserHost()
    try:
        env = _env(host, screenshots=False)
        env.reset(options={"task": _task(site["base"])})
        os.kill(host.browser_pid(), signal.SIGKILL)
        obs, reward, terminated, truncated, info = env.step("scroll [down]")
        assert terminated and reward == 0.0 and "browser crashed" in info["error"]
        obs, _ = env.reset(options={"task": _task(site["base"])})
        assert host.launches == 2 and "Second page" in obs["axtree"]
        env.close()
    finally:
        host.close()


def test_unreachable_site_names_url_and_variable(host):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again on exit: nothing listens there
    env = _env(host)
    url = f"http://127.0.0.1:{port}/"
    with pytest.raises(UserError, match=rf"{url}.*SHOPPING"):
        env.reset(options={"task": _task(f"http://127.0.0.1:{port}")})
    with pytest.raises(UserError, match="set the REDDIT environment variable"):
        env.reset(options={"task": _task("__REDDIT__")})
    env.close()


def test_type_sends_every_key_so_autocomplete_widgets_react(site, host):
    env = _env(host, screenshots=False)
    obs, _ = env.reset(options={"task": _task(site["base"], start_url=site["base"] + "/keys")})
    obs, *_ = env.step(f"type [{_id(obs, 'textbox', 'City')}] [Oslo] [0]")
    assert "keys: 4" in obs["axtree"]  # one keydown per character, as WebArena types
    env.close()


@dataclass
class _Score:
    score: float

    def as_dict(self) -> dict:
        return {"score": self.score}


class _RecordingScorer:
    def __init__(self, score: float) -> None:
        self.score, self.calls = score, []

    def __call__(self, task, answer, page):
        self.calls.append((task["task_id"], answer, page.url))
        return _Score(self.score)


def test_the_given_scorer_scores_the_episode_and_a_full_score_is_a_success(site, host):
    scorer = _RecordingScorer(1.0)
    env = WebEnv(WebEnvConfig(screenshots=False), scorer, host=host)
    env.reset(options={"task": _task(site["base"], eval={"eval_types": ["string_match"]})})
    _, reward, terminated, _, info = env.step("stop [page two]")
    assert terminated and reward == 1.0 and info["success"] is True and info["eval"] == {"score": 1.0}
    assert scorer.calls == [("t1", "page two", site["base"] + "/")]
    env.close()


def test_an_episode_cut_short_answers_early_stop_with_the_reason(site, host):
    scorer = _RecordingScorer(0.0)
    env = WebEnv(WebEnvConfig(screenshots=False), scorer, host=host)
    env.reset(options={"task": _task(site["base"], eval={"eval_types": ["string_match"]})})
    for _ in range(3):
        *_, info = env.step("make me a sandwich")
    assert scorer.calls[0][1] == "Early stop: 3 unparsable actions in a row" and info["success"] is False
    env.close()


@pytest.mark.parametrize(
    "start",
    [
        "http://127.0.0.1:1/",  # a loopback port that is not one of the task's sites
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
    ],
)
def test_start_urls_are_checked_like_goto(site, host, start):
    env = WebEnv(WebEnvConfig(screenshots=False, evaluate=False), host=host, urls={"SHOPPING": site["base"]})
    with pytest.raises(UserError, match="start_url refused"):
        env.reset(options={"task": _task(site["base"], start_url=start)})
    obs, _ = env.reset(options={"task": _task(site["base"])})  # the configured site itself opens
    assert obs["url"] == site["base"] + "/"
    env.close()


def test_websockets_to_other_hosts_are_blocked(site, host):
    env = _env(host, screenshots=False)
    obs, _ = env.reset(options={"task": _task(site["base"], start_url=site["base"] + "/ws")})
    assert "ws closed" in obs["axtree"]
    assert any(url.startswith("ws://") and url.endswith("/socket") for url in env.session.blocked)
    env.close()


def test_service_workers_cannot_register(site, host):
    env = _env(host, screenshots=False)
    site["main"].hits.clear()
    env.reset(options={"task": _task(site["base"], start_url=site["base"] + "/sw")})
    env.step("wait")
    registrations = env.page.evaluate("() => navigator.serviceWorker.getRegistrations().then(r => r.length)")
    assert registrations == 0 and "/sw.js" not in site["main"].hits  # its script was never even fetched
    env.close()


def test_the_agents_browser_cannot_reach_the_harness_endpoints(bundled_sites, host):
    shop = bundled_sites.urls["shopping"]
    env = WebEnv(WebEnvConfig(screenshots=False, evaluate=False), host=host, urls={"SHOPPING": shop})
    env.reset(options={"task": _task(shop, start_url=f"{shop}/__api/latest_order?user=alex")})
    assert "Page not found" in env.page.content() and "ship_name" not in env.page.content()
    env.close()


def test_gymnasium_make_and_check_env(site, host):
    env = gymnasium.make(
        envs.web.ENV_ID, task=_task(site["base"]), host=host, config=WebEnvConfig(max_steps=5)
    )
    check_env(env.unwrapped)
    obs, _ = env.reset(seed=0)
    assert env.observation_space.contains(obs) and env.action_space.contains("click [12]")
    env.close()
