"""Fresh login per task on the bundled sites: each task signs in through the site's own form and gets its own
session; a later episode of the same task reuses that task's login; sites without a login still run."""

from __future__ import annotations

import pytest

from agent_rl.errors import UserError
from envs.web.browser import BrowserHost
from envs.web.env import WebEnv, WebEnvConfig

pytestmark = pytest.mark.timeout(180)
FRESH = WebEnvConfig(screenshots=False, login="fresh", login_flows="bundled", prewarm=False)


def _task(task_id, site, url, require_login=True):
    return {
        "task_id": task_id,
        "sites": [site],
        "intent": "look",
        "start_url": url,
        "require_login": require_login,
    }


def _session_cookie(env, name="forum_session"):
    cookies = env.session.host.run(env.session._context.cookies())
    return next((c["value"] for c in cookies if c["name"] == name), None)


@pytest.fixture(scope="module")
def host():
    host = BrowserHost()
    yield host
    host.close()


def test_each_task_logs_in_for_itself_and_a_rerun_of_a_task_reuses_its_login(bundled_sites, host):
    urls = bundled_sites.env_vars()
    forum = urls["REDDIT"]
    one, other = WebEnv(FRESH, host=host, urls=urls), WebEnv(FRESH, host=host, urls=urls)
    try:
        obs, _ = one.reset(options={"task": _task(1, "reddit", forum + "/")})
        first = _session_cookie(one)
        assert first and first.startswith("marlow_reads.")
        assert obs["url"] == forum + "/" and "marlow_reads" in obs["axtree"]  # signed in, on the start page
        obs, *_ = one.step("go_back")
        assert "there is no page to go to" in obs["error"]  # the login form was filled in a tab of its own
        one.reset(options={"task": _task(2, "reddit", forum + "/")})
        second = _session_cookie(one)
        assert second and second != first  # the next task logged in again: a new session
        one.reset(options={"task": _task(1, "reddit", forum + "/")})
        assert _session_cookie(one) == first  # task 1 again: its own login, cached
        other.reset(options={"task": _task(1, "reddit", forum + "/")})
        assert _session_cookie(other) not in (None, first, second)  # a concurrent env never shares one
    finally:
        one.close()
        other.close()


def test_sites_without_a_login_flow_or_without_require_login_run_signed_out(bundled_sites, host):
    urls = bundled_sites.env_vars()
    env = WebEnv(FRESH, host=host, urls=urls)
    try:
        obs, _ = env.reset(options={"task": _task(3, "homepage", urls["HOMEPAGE"] + "/")})
        assert (
            obs["url"] == urls["HOMEPAGE"] + "/"
            and env.session.host.run(env.session._context.cookies()) == []
        )
        obs, _ = env.reset(options={"task": _task(4, "reddit", urls["REDDIT"] + "/", require_login=False)})
        assert _session_cookie(env) is None and "Sign in" in obs["axtree"]
    finally:
        env.close()


def test_a_login_form_that_is_not_there_is_a_clear_error(bundled_sites, host):
    urls = bundled_sites.env_vars()
    env = WebEnv(
        FRESH.model_copy(update={"login_flows": "webarena", "navigation_timeout_s": 2.0}),
        host=host,
        urls=urls,
    )
    try:  # WebArena's Postmill form (label "Username") is not the bundled forum's
        with pytest.raises(UserError, match="cannot log in to reddit at .*/login"):
            env.reset(options={"task": _task(5, "reddit", urls["REDDIT"] + "/")})
    finally:
        env.close()
