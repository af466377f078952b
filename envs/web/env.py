"""`WebEnv`: a Gymnasium environment over a real Chromium page, for WebArena-format tasks.

The env is a sync facade over async Playwright: the browser side of an episode is a `BrowserSession`
(session.py) on the shared `BrowserHost` loop (browser.py), so many envs stepped from many threads share one
browser at once. Each episode gets a fresh browser context, so cookies and storage never leak between tasks.

`reset(options={"task": config})` takes a WebArena task config whose placeholders are already filled
(envs.web.tasks does that); `WebEnv(task=...)` sets the task used when reset is given none (as
`gymnasium.make("agent_rl/Web-v0", task=..., urls=...)` does). `urls` ({"SHOPPING": url, ...}) name the sites
the agent may use (with `allowed_origins`); start URLs are checked against them like the agent's `goto`s.
`step(text)` takes the model's raw reply. With a `scorer` (scoring.py), the episode is scored when it ends:
reward = score, `info["eval"]` its record and `info["success"]` whether it scored 1.
"""

from __future__ import annotations

import re
import time
from typing import Any

import gymnasium as gym
import numpy as np

from agent_rl.core.spaces import ChatObservation, text_actions
from agent_rl.errors import UserError
from envs.web.actions import ActionParseError, parse_action
from envs.web.browser import BrowserHost, shared_host
from envs.web.config import WebEnvConfig
from envs.web.miniwob.page import MiniWobPage
from envs.web.prompt import chat_prompt
from envs.web.scoring import Scorer
from envs.web.security import origin, refusal
from envs.web.session import BrowserCrashed, BrowserSession, SyncPage

_PLACEHOLDER = re.compile(r"__([A-Z_]+)__")
OBSERVATION_KEYS = ("intent", "url", "tabs", "active_tab", "axtree", "elements", "nodes", "screenshot", "som")


class WebEnv(gym.Env):
    """Browser environment: chat observations (with the page's tree, elements and images), raw text actions."""

    metadata = {"render_modes": ["rgb_array"]}

    def __init__(
        self,
        config: WebEnvConfig | None = None,
        scorer: Scorer | None = None,
        *,
        host: BrowserHost | None = None,
        urls: dict[str, str] | None = None,
        task: dict[str, Any] | None = None,
        render_mode: str | None = None,
    ) -> None:
        self.config = config or WebEnvConfig()
        self.scorer = scorer
        self.urls: dict[str, str] = dict(urls or {})
        self.default_task = task
        self.render_mode = render_mode
        self.action_space = text_actions()
        self.observation_space = ChatObservation()
        self.session = BrowserSession(self.config, host or shared_host())
        self.task: dict[str, Any] = {}
        self._obs: dict[str, Any] = {}
        self._miniwob: MiniWobPage | None = None
        self.history: list[dict[str, Any]] = []
        self.answer: str | None = None
        self._done = True

    # ----- Gymnasium API -------------------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = options or {}
        task = options.get("task", self.default_task)
        if task is None:
            raise UserError("WebEnv.reset needs options={'task': config} or WebEnv(task=config)")
        if hasattr(task, "model_dump"):  # an envs.web.tasks.Task
            task = task.model_dump()
        self.task = task
        self.urls = dict(options.get("urls") or self.urls)
        start_urls = self._start_urls(task, options)
        self.history, self.answer, self._invalid, self._steps = [], None, 0, 0
        self._miniwob = MiniWobPage.of(task)
        self._done = False
        started = time.perf_counter()
        try:
            self.session.open(start_urls, task)
            if self._miniwob is not None:  # the page's own script starts the episode and states the task
                self.task = dict(task, intent=self._miniwob.start(self.session.sync_page(), seed))
            obs = self._observe("")
        except (BrowserCrashed, TimeoutError) as err:
            raise RuntimeError(f"browser crashed while opening task {task.get('task_id')!r}: {err}") from err
        info = {"task_id": task.get("task_id"), "url": obs["url"], "intent": obs["intent"]}
        return obs, dict(info, reset_s=time.perf_counter() - started)

    def step(self, action: str):
        if self._done:
            raise RuntimeError("step() after the episode ended; call reset()")
        self._steps += 1
        started = time.perf_counter()
        info: dict[str, Any] = {"raw_action": action}
        error, parsed = "", None
        try:
            parsed = parse_action(action)
        except ActionParseError as err:
            error = str(err)
        terminated, truncated, early_stop = False, False, ""
        try:
            if parsed is not None and parsed.kind == "stop":  # the page is as last observed
                self.answer = parsed.text
                terminated = True
                self.session.settle()  # the evaluators read the sites after what the last action set off
                obs = self._observe_again(error="")
            else:
                if parsed is not None:
                    error = self.session.execute(parsed)
                obs = self._observe(error)
                terminated = self._miniwob is not None and self._miniwob.done(self.session.sync_page())
        except (BrowserCrashed, TimeoutError) as err:
            self._done = True
            obs = self._observe_again(error=f"browser crashed: {err}")
            info.update(error=f"browser crashed: {err}", latency_s=time.perf_counter() - started)
            self.history.append({"action": action, "parsed": str(parsed or ""), "error": obs["error"]})
            return obs, 0.0, True, False, info
        info["latency_s"] = time.perf_counter() - started
        self._invalid = self._invalid + 1 if parsed is None else 0
        self.history.append(
            {"action": action, "parsed": str(parsed or ""), "error": error, "url": obs["url"]}
        )
        if not terminated:
            if self._invalid >= self.config.max_invalid:
                early_stop = f"{self._invalid} unparsable actions in a row"
            elif self._repeated() >= self.config.max_repeats:
                early_stop = f"the same action {self._repeated()} times in a row"
            elif self._steps >= self.config.max_steps:
                truncated = True
                early_stop = f"reached the step limit of {self.config.max_steps}"
        if early_stop:
            # WebArena records the answer of an episode cut short as "Early stop: <reason>".
            self.answer = f"Early stop: {early_stop}"
            info["early_stop"] = early_stop
            terminated = terminated or not truncated
            obs["error"] = (obs["error"] + "\n" if obs["error"] else "") + f"episode stopped: {early_stop}"
        reward = 0.0
        if terminated or truncated:
            self._done = True
            reward = self._score(info)
        # The prompt is built again now that the history holds this step: the model sees what it just did.
        return self._with_prompt(obs, obs["error"]), reward, terminated, truncated, info

    def render(self):
        shot = self._obs.get("screenshot")
        return None if shot is None else np.asarray(shot)

    def close(self) -> None:
        self.session.close()

    @property
    def page(self) -> SyncPage:
        """The live page, as a blocking object scorers (and users) can query."""
        return self.session.sync_page()

    # ----- internals -------------------------------------------------------------------------------------

    def _start_urls(self, task: dict[str, Any], options: dict[str, Any]) -> list[str]:
        """The task's start URLs, each checked like an agent `goto` against the configured sites."""
        start_urls = [u.strip() for u in str(task.get("start_url", "")).split("|AND|") if u.strip()]
        if not start_urls:
            raise UserError(f"task {task.get('task_id')!r} has no start_url")
        for url in start_urls:
            missing = _PLACEHOLDER.search(url)
            if missing:
                raise UserError(
                    f"task {task.get('task_id')!r}: start_url {url!r} still holds __{missing.group(1)}__; "
                    f"set the {missing.group(1)} environment variable (or pass the site URL) to the site's address"
                )
        sites = [*self.config.allowed_origins, *options.get("allowed_origins", []), *self.urls.values()]
        # With no site configured, the task's own start URLs name its sites (a page served for a test).
        self.session.allowed = {origin(u) for u in (sites or start_urls)}
        self.session.site_urls = dict(self.urls)
        for url in start_urls:
            reason = refusal(url, self.session.allowed)
            if reason:
                raise UserError(f"task {task.get('task_id')!r}: start_url {reason}")
        return start_urls

    def _observe(self, error: str) -> dict[str, Any]:
        shot = self.session.read()
        shot.decode_images()
        url = self.session.page.url
        obs: dict[str, Any] = {
            "intent": str(self.task.get("intent", "")),
            "url": url,
            "tabs": shot.tabs,
            "active_tab": shot.tabs.index(url) if url in shot.tabs else 0,
            "axtree": shot.tree,
            "elements": [e.as_dict() for e in shot.elements],
            "nodes": shot.nodes,
            "screenshot": shot.screenshot,
            "som": shot.som,
        }
        self._obs = obs
        return self._with_prompt(obs, error)

    def _observe_again(self, error: str) -> dict[str, Any]:
        """The last observation (the page as last seen), as new objects, with a new error and prompt."""
        return self._with_prompt(
            {k: (list(v) if isinstance(v, list) else v) for k, v in self._obs.items()}, error
        )

    def _with_prompt(self, obs: dict[str, Any], error: str) -> dict[str, Any]:
        obs = dict(obs, error=error, step=self._steps)
        recent = self.history[-self.config.history :] if self.config.history else []
        obs["messages"], obs["images"] = chat_prompt(obs, recent, self.config, self.config.vision)
        return obs

    def _repeated(self) -> int:
        parsed = [h["parsed"] for h in self.history]
        if not parsed or not parsed[-1]:
            return 0
        count = 0
        for item in reversed(parsed):
            if item != parsed[-1]:
                break
            count += 1
        return count

    def _score(self, info: dict[str, Any]) -> float:
        if not self.config.evaluate or self.scorer is None or not self.task.get("eval"):
            return 0.0
        self.session.allow_all = True  # the scorer may open any page the task config names
        try:
            result = self.scorer(self.task, self.answer or "", self.page)
        except UserError:
            raise  # a configuration problem (e.g. no judge): the caller must fix it
        except Exception as err:  # the page broke while being scored: this episode scores 0
            info["eval_error"] = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
            return 0.0
        finally:
            self.session.allow_all = False
        info["eval"] = result.as_dict()
        info["success"] = result.score == 1.0
        return float(result.score)
