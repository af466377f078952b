"""`WebEnv`: a Gymnasium environment over a real Chromium page, for WebArena-format tasks.

The env is a sync facade over async Playwright: every browser call runs on the shared `BrowserHost` loop
(see browser.py), so many envs stepped from many threads share one browser at once. Each episode gets a
fresh browser context, so cookies and storage never leak between tasks.

`reset(options={"task": config})` takes a WebArena task config whose placeholders are already filled
(envs.web.tasks does that). `urls` ({"SHOPPING": url, ...}) in options or the constructor name the sites
the agent may use (with `allowed_origins`) and serve the evaluators' helpers.
`step(text)` takes the model's raw reply. The reward is the WebArena score, computed when the episode ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from playwright.async_api import BrowserContext, CDPSession, Page, Request, Route
from playwright.async_api import Error as PlaywrightError

from agent_rl.errors import UserError
from envs.web.actions import GRAMMAR_HELP, Action, ActionParseError, parse_action
from envs.web.browser import BrowserHost, shared_host
from envs.web.observation import Capture, capture
from envs.web.scoring import Scorer
from envs.web.security import origin, refusal
from envs.web.tasks import SITE_VARS

_PLACEHOLDER = re.compile(r"__([A-Z_]+)__")
_RAF2 = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"
_CRASH_MARKERS = ("Target closed", "has been closed", "Browser closed", "Connection closed", "crashed")

SYSTEM_PROMPT = (
    "You are a web agent. You see a web page as an accessibility tree whose elements carry ids like [12]"
    " (and, when an image is shown, the same ids as numbered boxes). Complete the task in a few actions.\n"
    "Reply as 'Thought: <your reasoning> Action: <one action>'. Actions: " + GRAMMAR_HELP + "\n"
    "When the task asks for information, finish with stop [answer]; otherwise finish with stop []."
)


@dataclass
class WebEnvConfig:
    max_steps: int = 30
    viewport: tuple[int, int] = (1280, 720)
    screenshots: bool = True  # capture screenshot + set-of-marks image each step
    vision: bool = False  # put the set-of-marks image into the chat prompt (for VLM agents)
    settle_timeout_s: float = 5.0  # cap on the event-driven wait after each action
    navigation_timeout_s: float = 20.0
    max_invalid: int = 3  # early stop after this many invalid actions in a row
    max_repeats: int = 3  # early stop after the same action this many times in a row
    max_tree_chars: int = 16000  # the tree is cut to this length in the chat prompt
    history: int = 3  # past actions shown in the prompt (PAE shows 3)
    prompt_view: Literal["tree", "elements"] = "tree"  # the page as the tree, or as PAE's element list
    evaluate: bool = True  # score the episode with the WebArena evaluators when it ends
    allowed_origins: list[str] = field(default_factory=list)
    prewarm: bool = True  # make the next episode's context while this one runs
    auth_dir: str | None = None  # folder of storage-state files; a task's storage_state is looked up by name


class BrowserCrashed(RuntimeError):
    """The browser died under the episode; the next reset relaunches it."""


class SyncPage:
    """A blocking view of the env's current async page, with the sync-Playwright calls the evaluators use."""

    def __init__(self, env: WebEnv) -> None:
        self._env = env

    @property
    def url(self) -> str:
        return self._env._page.url

    def goto(self, url: str) -> None:
        env = self._env
        env._host.run(env._page.goto(url, wait_until="load", timeout=env.config.navigation_timeout_s * 1000))

    def content(self) -> str:
        return self._env._host.run(self._env._page.content())

    def evaluate(self, expression: str, arg: Any = None) -> Any:
        return self._env._host.run(self._env._page.evaluate(expression, arg))


class WebEnv(gym.Env):
    """Browser environment; observations are dicts (see `_observation`), actions are raw model text."""

    metadata = {"render_modes": ["rgb_array"]}

    def __init__(
        self,
        config: WebEnvConfig | None = None,
        tasks: list[dict[str, Any]] | None = None,
        host: BrowserHost | None = None,
        urls: dict[str, str] | None = None,
        scorer: Scorer | None = None,
    ) -> None:
        self.config = config or WebEnvConfig()
        self.tasks = tasks or []
        self.scorer = scorer
        self.urls: dict[str, str] = dict(urls or {})
        self._host = host or shared_host()
        self.action_space = spaces.Text(max_length=4096)
        self.observation_space = spaces.Dict(
            {"url": spaces.Text(4096), "axtree": spaces.Text(10**7), "error": spaces.Text(4096)}
        )
        self.task: dict[str, Any] = {}
        self._context: BrowserContext | None = None
        self._page: Page | None = None
        self._cdp: dict[Page, CDPSession] = {}
        self._allowed: set[str] = set()
        self._allow_all = False
        self._blocked: list[str] = []
        self._inflight: set[Request] = set()
        self._nav_started = 0
        self._nav_settled = 0
        self._changed: asyncio.Event | None = None
        self._spare: asyncio.Future | None = None
        self._capture: Capture | None = None
        self._obs: dict[str, Any] = {}
        self.history: list[dict[str, Any]] = []
        self.answer: str | None = None
        self._done = True

    # ----- Gymnasium API -------------------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = options or {}
        task = options.get("task")
        if task is None:
            if not self.tasks:
                raise UserError("WebEnv.reset needs options={'task': config} or WebEnv(tasks=[...])")
            task = self.tasks[(seed or 0) % len(self.tasks)]
        if hasattr(task, "model_dump"):  # an envs.web.tasks.Task
            task = task.model_dump()
        self.task = task
        self.urls = dict(options.get("urls") or self.urls)
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
        extra = [*self.config.allowed_origins, *options.get("allowed_origins", []), *self.urls.values()]
        self._allowed = {origin(u) for u in [*start_urls, *extra]}
        self.history, self.answer, self._invalid, self._steps = [], None, 0, 0
        self._done = False
        try:
            self._host.run(self._open(start_urls, task), timeout=self._call_timeout() * len(start_urls))
            obs = self._observe("")
        except (BrowserCrashed, TimeoutError) as err:
            raise RuntimeError(f"browser crashed while opening task {task.get('task_id')!r}: {err}") from err
        return obs, {"task_id": task.get("task_id"), "url": obs["url"]}

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
                # A navigation or request set off by the last action may still be landing (a form submitted
                # late on a busy machine): let it settle before the evaluators read the sites.
                with contextlib.suppress(PlaywrightError):
                    self._host.run(self._settle(self._page, self._nav_settled), timeout=self._call_timeout())
                obs = dict(self._obs, error="", step=self._steps)
            else:
                if parsed is not None:
                    error = self._host.run(self._execute(parsed), timeout=self._call_timeout())
                obs = self._observe(error)
        except (BrowserCrashed, TimeoutError) as err:
            self._done = True
            obs = dict(self._obs, error=f"browser crashed: {err}")
            info.update(error=f"browser crashed: {err}", latency_s=time.perf_counter() - started)
            self.history.append({"action": action, "parsed": str(parsed or ""), "error": obs["error"]})
            return obs, 0.0, True, False, info
        info["latency_s"] = time.perf_counter() - started
        self._invalid = self._invalid + 1 if error else 0
        self.history.append(
            {"action": action, "parsed": str(parsed or ""), "error": error, "url": obs["url"]}
        )
        if not terminated:
            if self._invalid >= self.config.max_invalid:
                early_stop = f"{self._invalid} invalid actions in a row"
            elif self._repeated() >= self.config.max_repeats:
                early_stop = f"the same action {self._repeated()} times in a row"
            elif self._steps >= self.config.max_steps:
                truncated = True
        if early_stop:
            terminated = True
            info["early_stop"] = early_stop
            obs["error"] = (obs["error"] + "\n" if obs["error"] else "") + f"episode stopped: {early_stop}"
        reward = 0.0
        if terminated or truncated:
            self._done = True
            reward = self._score(info)
            info["success"] = reward == 1.0
        return obs, reward, terminated, truncated, info

    def render(self):
        shot = self._obs.get("screenshot")
        return None if shot is None else np.asarray(shot)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._host.run(self._drop_spare(), timeout=30)
        if self._context is not None:
            with contextlib.suppress(Exception):  # a crashed browser has already dropped the context
                self._host.run(self._context.close(), timeout=30)
            self._context = None

    @property
    def page(self) -> SyncPage:
        """The live page, as a blocking object the evaluators (and users) can query."""
        return SyncPage(self)

    # ----- episode internals (run on the browser loop) -----------------------------------------------

    def _call_timeout(self) -> float:
        return self.config.navigation_timeout_s + self.config.settle_timeout_s + 30

    async def _new_context(self) -> tuple[BrowserContext, Page]:
        """A blank context with one page: starting its renderer is the slow part of a reset."""
        browser = await self._host.ensure_browser()
        width, height = self.config.viewport
        context = await browser.new_context(viewport={"width": width, "height": height})
        return context, await context.new_page()

    async def _take_context(self) -> tuple[BrowserContext, Page]:
        """The context made ahead during the last episode if it is still usable, else a new one."""
        spare, self._spare = self._spare, None
        if spare is not None and not spare.done() and not self._host.connected():
            spare.cancel()  # Playwright never settles a call that was pending when the browser died
        elif spare is not None:
            try:
                context, page = await asyncio.wait_for(spare, self.config.navigation_timeout_s)
                if context.browser is not None and context.browser.is_connected() and not page.is_closed():
                    return context, page
            except Exception:  # made before a browser crash: make another
                pass
        return await self._new_context()

    async def _drop_spare(self) -> None:
        spare, self._spare = self._spare, None
        if spare is not None and not spare.done():
            spare.cancel()
        elif spare is not None:
            with contextlib.suppress(Exception):
                context, _ = await spare
                await context.close()

    async def _sign_in(self, context: BrowserContext, task: dict[str, Any]) -> None:
        """Apply the task's storage state (cookies, localStorage) and geolocation to a blank context."""
        if task.get("storage_state"):
            state = json.loads(Path(self._storage_state(task)).read_text())
            if state.get("cookies"):
                await context.add_cookies(state["cookies"])
            for entry in state.get("origins", []):
                await context.add_init_script(script=f"({_LOCAL_STORAGE_JS})({json.dumps(entry)})")
        if task.get("geolocation"):
            await context.grant_permissions(["geolocation"])
            await context.set_geolocation(task["geolocation"])

    async def _open(self, start_urls: list[str], task: dict[str, Any]) -> None:
        old = self._context
        self._context, self._page, self._cdp = None, None, {}
        if old is not None:
            with contextlib.suppress(PlaywrightError):
                await old.close()
        try:
            context, first_page = await self._take_context()
        except PlaywrightError as err:
            raise self._crash_or(err, UserError(f"cannot open a browser context: {err}")) from err
        self._context = context
        self._changed = asyncio.Event()
        self._inflight, self._blocked, self._allow_all = set(), [], False
        context.set_default_navigation_timeout(self.config.navigation_timeout_s * 1000)
        context.set_default_timeout(self.config.navigation_timeout_s * 1000)
        await self._sign_in(context, task)
        await context.route("**/*", self._route)
        context.on("request", self._on_request)
        context.on("requestfinished", self._on_request_done)
        context.on("requestfailed", self._on_request_done)
        context.on("page", self._on_page)
        self._on_page(first_page)
        for index, url in enumerate(start_urls):
            page = first_page if index == 0 else await context.new_page()
            self._page = self._page or page
            try:
                await page.goto(url, wait_until="load")
            except PlaywrightError as err:
                raise self._crash_or(err, UserError(self._unreachable(url, err))) from err
        await self._page.bring_to_front()
        await self._settle(self._page, self._nav_started)
        if self.config.prewarm:
            self._spare = asyncio.ensure_future(self._new_context())

    def _storage_state(self, task: dict[str, Any]) -> str:
        path = Path(task["storage_state"])
        if self.config.auth_dir:
            path = Path(self.config.auth_dir) / path.name
        if not path.is_file():
            raise UserError(
                f"task {task.get('task_id')!r} signs in with storage state {path}, which does not exist; "
                "set WebEnvConfig.auth_dir (--auth-dir) to the folder of saved states"
            )
        return str(path)

    def _unreachable(self, url: str, err: Exception) -> str:
        sites = self.task.get("sites") or []
        names = ", ".join(SITE_VARS.get(s, s.upper()) for s in sites) or "the site's variable"
        reason = str(err).splitlines()[0]
        return (
            f"site unreachable at {url} ({reason}); check that the site is up and that {names} points to it"
        )

    def _crash_or(self, err: Exception, other: Exception) -> Exception:
        text = str(err)
        if any(marker in text for marker in _CRASH_MARKERS):
            return BrowserCrashed(text.splitlines()[0])
        return other

    async def _route(self, route: Route) -> None:
        url = route.request.url
        if self._allow_all or origin(url) in self._allowed:
            await route.continue_()
        else:
            self._blocked.append(url)
            await route.abort("blockedbyclient")

    def _on_request(self, request: Request) -> None:
        self._inflight.add(request)
        if _is_main_navigation(request):
            self._nav_started += 1
        self._poke()

    def _on_request_done(self, request: Request) -> None:
        self._inflight.discard(request)
        if _is_main_navigation(request):
            self._nav_settled += 1
        self._poke()

    def _on_page(self, page: Page) -> None:
        page.on("framenavigated", lambda frame: self._poke())
        page.on("load", lambda _: self._poke())
        if self._page is not None and page.opener is not None:  # a popup opened by the page: follow it
            self._page = page

    def _poke(self) -> None:
        if self._changed is not None:
            self._changed.set()

    async def _wait_until(self, done, deadline: float) -> bool:
        loop = asyncio.get_running_loop()
        while not done():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            assert self._changed is not None
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                return done()
        return True

    async def _settle(self, page: Page, nav_before: int) -> None:
        """Wait, driven by page events and capped, until navigation has loaded and requests are done."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.settle_timeout_s
        # Two animation frames: any navigation or fetch the action set off has been issued by then. An error
        # means the document is being replaced, i.e. a navigation is under way.
        with contextlib.suppress(PlaywrightError, asyncio.TimeoutError):
            await asyncio.wait_for(page.evaluate(_RAF2), self.config.settle_timeout_s)
        if self._nav_started > nav_before:
            await self._wait_until(lambda: self._nav_settled >= self._nav_started, deadline)
            remaining = max(deadline - loop.time(), 0.05)
            with contextlib.suppress(PlaywrightError):
                await page.wait_for_load_state("load", timeout=remaining * 1000)
        await self._wait_until(lambda: not self._inflight, deadline)

    async def _session(self, page: Page) -> CDPSession:
        if page not in self._cdp:
            assert self._context is not None
            self._cdp[page] = await self._context.new_cdp_session(page)
        return self._cdp[page]

    async def _element_box(self, element: int) -> tuple[float, float, float, float]:
        """Scroll the element into view and return its viewport box; raise ValueError if it cannot be used."""
        assert self._capture is not None
        backend = self._capture.node_ids.get(element)
        if backend is None:
            raise ValueError(
                f"there is no element [{element}] on this page; use an id from the latest observation"
            )
        cdp = await self._session(self._page)
        try:
            resolved = await cdp.send("DOM.resolveNode", {"backendNodeId": backend})
            result = await cdp.send(
                "Runtime.callFunctionOn",
                {
                    "objectId": resolved["object"]["objectId"],
                    "functionDeclaration": _BOX_JS,
                    "returnByValue": True,
                },
            )
        except PlaywrightError as err:
            if any(marker in str(err) for marker in _CRASH_MARKERS):
                raise
            raise ValueError(f"element [{element}] is gone from the page; observe again") from err
        x, y, w, h = result["result"]["value"]
        if w <= 0 or h <= 0:
            raise ValueError(f"element [{element}] is not visible")
        return x, y, w, h

    async def _execute(self, action: Action) -> str:
        """Perform one action; return an error message for the agent ('' when it worked)."""
        assert self._context is not None and self._page is not None
        if self._context.browser is None or not self._context.browser.is_connected():
            raise BrowserCrashed("the browser is not running")
        page = self._page
        nav_before = self._nav_started
        blocked_before = len(self._blocked)
        try:
            error = await self._perform(action, page)
        except ValueError as err:
            error = str(err)
        except PlaywrightError as err:
            crash = self._crash_or(err, err)
            if isinstance(crash, BrowserCrashed):
                raise crash from err
            error = f"{action.kind} failed: {str(err).splitlines()[0]}"
        if self._page is not None and not self._page.is_closed():
            try:
                await self._settle(self._page, nav_before)
            except PlaywrightError as err:
                crash = self._crash_or(err, err)
                if isinstance(crash, BrowserCrashed):
                    raise crash from err
        if len(self._blocked) > blocked_before and not error:
            shown = ", ".join(self._blocked[blocked_before:][:3])
            error = f"blocked requests to hosts outside the task's sites: {shown}"
        return error

    async def _perform(self, action: Action, page: Page) -> str:
        assert self._context is not None
        timeout = self.config.navigation_timeout_s * 1000
        kind = action.kind
        if kind in ("click", "hover", "type"):
            x, y, w, h = await self._element_box(action.element or 0)
            cx, cy = x + w / 2, y + h / 2
            if kind == "hover":
                await page.mouse.move(cx, cy)
                return ""
            await page.mouse.click(cx, cy)
            if kind == "type":
                await page.evaluate(_CLEAR_FOCUSED_JS)
                await page.keyboard.insert_text(action.text)  # one input event, not a round trip per key
                if action.enter:
                    await page.keyboard.press("Enter")
            return ""
        if kind == "press":
            await page.keyboard.press(action.text)
            return ""
        if kind == "scroll":
            sign = -1 if action.direction == "up" else 1
            if action.element is None:
                await page.evaluate("s => window.scrollBy(0, s * window.innerHeight * 0.8)", sign)
            else:
                x, y, w, h = await self._element_box(action.element)
                await page.mouse.move(x + w / 2, y + h / 2)
                await page.mouse.wheel(0, sign * (self.config.viewport[1] * 0.8))
            return ""
        if kind == "goto":
            reason = refusal(action.text, self._allowed)
            if reason:
                return reason
            await page.goto(action.text, wait_until="load", timeout=timeout)
            return ""
        if kind in ("go_back", "go_forward"):
            move = page.go_back if kind == "go_back" else page.go_forward
            response = await move(wait_until="load", timeout=timeout)
            return "" if response is not None else f"{kind}: there is no page to go to"
        if kind == "new_tab":
            self._page = await self._context.new_page()
            return ""
        if kind == "tab_focus":
            pages = self._context.pages
            if action.tab is None or not 0 <= action.tab < len(pages):
                return f"tab_focus: no tab {action.tab}; open tabs are 0..{len(pages) - 1}"
            self._page = pages[action.tab]
            await self._page.bring_to_front()
            return ""
        if kind == "close_tab":
            await page.close()
            pages = self._context.pages
            self._page = pages[-1] if pages else await self._context.new_page()
            await self._page.bring_to_front()
            return ""
        if kind == "wait":
            return ""
        return f"unsupported action {kind!r}"

    # ----- observation ----------------------------------------------------------------------------

    def _observe(self, error: str) -> dict[str, Any]:
        assert self._page is not None
        try:
            self._capture = self._host.run(self._read_page(), timeout=self._call_timeout())
        except PlaywrightError as err:
            raise self._crash_or(err, err) from err
        shot = self._capture
        shot.decode_images()
        tabs = shot.tabs
        obs: dict[str, Any] = {
            "intent": str(self.task.get("intent", "")),
            "url": self._page.url,
            "tabs": tabs,
            "active_tab": tabs.index(self._page.url) if self._page.url in tabs else 0,
            "axtree": shot.tree,
            "elements": [e.as_dict() for e in shot.elements],
            "nodes": shot.nodes,
            "screenshot": shot.screenshot,
            "som": shot.som,
            "error": error,
            "step": self._steps,
        }
        obs["messages"], obs["images"] = self._chat(obs)
        self._obs = obs
        return obs

    async def _read_page(self) -> Capture:
        assert self._page is not None
        if self._context is None or self._context.browser is None or not self._context.browser.is_connected():
            raise BrowserCrashed("the browser is not running")
        for attempt in range(3):
            navigations = self._nav_started
            try:
                result = await capture(self._page, await self._session(self._page), self.config.screenshots)
            except PlaywrightError as err:
                if attempt == 2 or isinstance(self._crash_or(err, err), BrowserCrashed):
                    raise
                self._cdp.pop(self._page, None)
            else:
                if self._nav_started == navigations and self._nav_settled >= self._nav_started:
                    break
            # A navigation began while the page was read (late, e.g. a form submitted from a scheduled task):
            # let it load and read the new document.
            await self._settle(self._page, navigations - 1)
        result.tabs = [p.url for p in self._context.pages]
        return result

    def _chat(self, obs: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Any]]:
        """The chat prompt for a model: task, recent actions, tabs, the tree (and the marked screenshot)."""
        tree = obs["axtree"]
        if len(tree) > self.config.max_tree_chars:
            tree = tree[: self.config.max_tree_chars] + "\n... (tree cut)"
        recent = self.history[-self.config.history :] if self.config.history else []
        lines = [f"Task: {obs['intent']}", f"URL: {obs['url']}"]
        if len(obs["tabs"]) > 1:
            lines.append("Tabs: " + " | ".join(f"[{i}] {u}" for i, u in enumerate(obs["tabs"])))
        if recent:
            lines.append("Previous actions:")
            lines += [
                f"- {h['action'].strip()[-200:]}" + (f" (error: {h['error']})" if h["error"] else "")
                for h in recent
            ]
        if obs["error"]:
            lines.append(f"Last action error: {obs['error']}")
        if self.config.prompt_view == "elements":  # PAE's agent input: the labelled elements beside the boxes
            listed = [f"[{e['id']}] <{e['tag'] or e['role']}> {e['name']}".rstrip() for e in obs["elements"]]
            lines.append("Labelled elements:\n" + "\n".join(listed))
        else:
            lines.append("Accessibility tree:\n" + tree)
        content: list[dict[str, Any]] = [{"type": "text", "text": "\n".join(lines)}]
        images: list[Any] = []
        if self.config.vision and obs["som"] is not None:
            content.append({"type": "image"})
            images.append(obs["som"])
        messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": content}]
        return messages, images

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
        if not self.config.evaluate or not self.task.get("eval") or self.scorer is None:
            return 0.0
        self._allow_all = True  # the evaluator may open any page the task config names
        try:
            result = self.scorer(self.task, self.answer or "", self.page)
        except UserError:
            raise  # a configuration problem (e.g. no judge): the caller must fix it
        except Exception as err:  # the page broke while being scored: this episode scores 0
            info["eval_error"] = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
            return 0.0
        finally:
            self._allow_all = False
        info["eval"] = result.as_dict()
        return float(result.score)


def _is_main_navigation(request: Request) -> bool:
    try:
        return request.is_navigation_request() and request.frame.parent_frame is None
    except PlaywrightError:  # requests from service workers have no frame
        return False


_BOX_JS = """function() {
  const el = this.nodeType === 1 ? this : this.parentElement;
  if (!el) return [0, 0, 0, 0];
  el.scrollIntoView({block: 'nearest', inline: 'nearest'});
  let r;
  if (this.nodeType === 3) { const g = document.createRange(); g.selectNodeContents(this); r = g.getBoundingClientRect(); }
  else { r = this.getBoundingClientRect(); }
  return [r.x, r.y, r.width, r.height];
}"""

_LOCAL_STORAGE_JS = """entry => {
  if (location.origin === entry.origin) for (const item of entry.localStorage || []) localStorage.setItem(item.name, item.value);
}"""

_CLEAR_FOCUSED_JS = """() => {
  const el = document.activeElement;
  if (el && ('value' in el) && el.tagName !== 'BUTTON') { el.value = ''; el.dispatchEvent(new Event('input', {bubbles: true})); }
  else if (el && el.isContentEditable) { el.textContent = ''; }
}"""
