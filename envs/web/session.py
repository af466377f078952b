"""One episode's browser session: a fresh context on the shared browser, its routing, waits and actions.

Everything here runs on the `BrowserHost` loop (browser.py); the public methods block the calling thread only.
The session keeps the agent on its sites: every request, WebSocket and navigation to another origin is
blocked, service workers are off (they could fetch past the routing), and `goto` is checked by
`security.refusal`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playwright.async_api import BrowserContext, CDPSession, Page, Request, Route, WebSocketRoute
from playwright.async_api import Error as PlaywrightError

from agent_rl.errors import UserError
from envs.web.actions import Action
from envs.web.browser import BrowserHost
from envs.web.login import LoginFlow, fill_and_submit, login_flows
from envs.web.network import NetworkLog
from envs.web.observation import Capture, capture
from envs.web.security import origin, refusal
from envs.web.urls import SITE_VARS

if TYPE_CHECKING:
    from envs.web.config import WebEnvConfig

_RAF2 = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"
_CRASH_MARKERS = ("Target closed", "has been closed", "Browser closed", "Connection closed", "crashed")


class BrowserCrashed(RuntimeError):
    """The browser died under the episode; the next reset relaunches it."""


class SyncPage:
    """A blocking view of the session's current async page, with the sync-Playwright calls scorers use."""

    def __init__(self, session: BrowserSession) -> None:
        self._session = session

    @property
    def url(self) -> str:
        return self._session.page.url

    def goto(self, url: str) -> None:
        session = self._session
        timeout = session.config.navigation_timeout_s * 1000
        session.host.run(session.page.goto(url, wait_until="load", timeout=timeout))

    def content(self) -> str:
        return self._session.host.run(self._session.page.content())

    def evaluate(self, expression: str, arg: Any = None) -> Any:
        return self._session.host.run(self._session.page.evaluate(expression, arg))

    def network_har(self) -> dict[str, Any] | None:
        """The episode's network trace as a HAR document (None unless `record_network` is on)."""
        return self._session.network_har()


class BrowserSession:
    """The browser side of a `WebEnv`: one context per episode, opened by `open` and driven by `execute`."""

    def __init__(self, config: WebEnvConfig, host: BrowserHost) -> None:
        self.config = config
        self.host = host
        self.task: dict[str, Any] = {}
        self.site_urls: dict[str, str] = {}  # {"SHOPPING": url, ...}: where fresh logins go
        self.allowed: set[str] = set()  # origins the page may reach
        self.allow_all = False  # while scoring: the scorer may open any page the task config names
        self.blocked: list[str] = []  # URLs refused this episode
        self._context: BrowserContext | None = None
        self._page: Page | None = None
        self._cdp: dict[Page, CDPSession] = {}
        self._inflight: set[Request] = set()
        self._nav_started = 0
        self._nav_settled = 0
        self._changed: asyncio.Event | None = None
        self._spare: asyncio.Future | None = None
        self._capture: Capture | None = None
        self._network: NetworkLog | None = None
        self._logins: dict[str, list[Any]] = {}  # task id -> the cookies of the login made for that task

    # ----- blocking entry points -----------------------------------------------------------------------

    @property
    def page(self) -> Page:
        assert self._page is not None, "no episode is open"
        return self._page

    def call_timeout(self) -> float:
        return self.config.navigation_timeout_s + self.config.settle_timeout_s + 30

    def open(self, start_urls: list[str], task: dict[str, Any]) -> None:
        """A fresh context signed in for TASK, with one tab per start URL, settled."""
        self.task = task
        self.host.run(self._open(start_urls, task), timeout=self.call_timeout() * len(start_urls))

    def execute(self, action: Action) -> str:
        """Perform ACTION and let the page settle; the error message for the agent ('' when it worked)."""
        return self.host.run(self._execute(action), timeout=self.call_timeout())

    def settle(self) -> None:
        """Let a navigation or request set off by the last action land (a form submitted late)."""
        with contextlib.suppress(PlaywrightError):
            self.host.run(self._settle(self.page, self._nav_settled), timeout=self.call_timeout())

    def read(self) -> Capture:
        """Capture the current page (tree, elements, screenshots) and the open tabs."""
        try:
            self._capture = self.host.run(self._read_page(), timeout=self.call_timeout())
        except PlaywrightError as err:
            raise self._crash_or(err, err) from err
        return self._capture

    def sync_page(self) -> SyncPage:
        return SyncPage(self)

    def network_har(self) -> dict[str, Any] | None:
        if self._network is None:
            return None
        return self.host.run(self._network.har(), timeout=self.call_timeout())

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.host.run(self._drop_spare(), timeout=30)
        if self._context is not None:
            with contextlib.suppress(Exception):  # a crashed browser has already dropped the context
                self.host.run(self._context.close(), timeout=30)
            self._context = None

    # ----- episode internals (run on the browser loop) -----------------------------------------------

    async def _new_context(self) -> tuple[BrowserContext, Page]:
        """A blank context with one page: starting its renderer is the slow part of a reset."""
        browser = await self.host.ensure_browser()
        width, height = self.config.viewport
        # A service worker fetches outside the context's routing: none may register.
        context = await browser.new_context(
            viewport={"width": width, "height": height}, service_workers="block"
        )
        return context, await context.new_page()

    async def _take_context(self) -> tuple[BrowserContext, Page]:
        """The context made ahead during the last episode if it is still usable, else a new one."""
        spare, self._spare = self._spare, None
        if spare is not None and not spare.done() and not self.host.connected():
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
        """Apply the task's storage state (cookies, localStorage) and geolocation to a blank context; with
        fresh logins the task's sites are signed in afterwards instead (`_log_in`)."""
        if task.get("storage_state") and not self._fresh_logins(task):
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
        self._inflight, self.blocked, self.allow_all = set(), [], False
        self._network = None
        context.set_default_navigation_timeout(self.config.navigation_timeout_s * 1000)
        context.set_default_timeout(self.config.navigation_timeout_s * 1000)
        await self._sign_in(context, task)
        await context.route("**/*", self._route)
        await context.route_web_socket("**/*", self._route_web_socket)
        context.on("request", self._on_request)
        context.on("requestfinished", self._on_request_done)
        context.on("requestfailed", self._on_request_done)
        context.on("page", self._on_page)
        self._on_page(first_page)
        await self._log_in(context, task)
        if self.config.record_network:  # the agent's own traffic, from its first page on
            self._network = NetworkLog()
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

    def _fresh_logins(self, task: dict[str, Any]) -> dict[str, LoginFlow]:
        """The login flows of the task's sites that have one and a URL, when this session logs in fresh."""
        if self.config.login != "fresh" or not task.get("require_login"):
            return {}
        flows = login_flows(self.config.login_flows)
        return {
            site: flows[site]
            for site in task.get("sites") or []
            if site in flows and SITE_VARS.get(site) in self.site_urls
        }

    async def _log_in(self, context: BrowserContext, task: dict[str, Any]) -> None:
        """Sign in to each of the task's sites through its login form, once per task: a later episode of the
        same task on this session reuses that login's cookies; no other task or session ever sees them. The
        forms are filled in a tab of their own, closed after, so the agent's history starts at its start page.
        """
        flows = self._fresh_logins(task)
        if not flows:
            return
        key = str(task.get("task_id"))
        if key in self._logins:
            await context.add_cookies(self._logins[key])
            return
        page = await context.new_page()
        try:
            await self._fill_forms(page, flows)
        finally:
            with contextlib.suppress(PlaywrightError):
                await page.close()
        self._logins[key] = await context.cookies()

    async def _fill_forms(self, page: Page, flows: dict[str, LoginFlow]) -> None:
        timeout = self.config.navigation_timeout_s * 1000
        for site, flow in flows.items():
            url = self.site_urls[SITE_VARS[site]]
            navigations = self._nav_started
            try:
                await fill_and_submit(page, flow, url, timeout)
            except PlaywrightError as err:
                reason = str(err).splitlines()[0]
                message = (
                    f"cannot log in to {site} at {flow.url(url)} ({reason}); check that {SITE_VARS[site]} "
                    "points to the site, or use saved storage states (--login saved --auth-dir DIR)"
                )
                raise self._crash_or(err, UserError(message)) from err
            await self._settle(page, navigations)

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
        if self.allow_all or origin(url) in self.allowed:
            await route.continue_()
        else:
            self.blocked.append(url)
            await route.abort("blockedbyclient")

    async def _route_web_socket(self, ws: WebSocketRoute) -> None:
        """WebSockets to the task's sites connect as usual; any other is closed before it reaches the server."""
        url = ws.url
        http_url = "http" + url[2:] if url.startswith("ws") else url  # ws(s):// has http(s)://'s origin
        if self.allow_all or origin(http_url) in self.allowed:
            ws.connect_to_server()
        else:
            self.blocked.append(url)
            await ws.close(code=1008, reason="blocked: not one of the task's sites")

    def _on_request(self, request: Request) -> None:
        if self._network is not None:
            self._network.on_request(request)
        self._inflight.add(request)
        if _is_main_navigation(request):
            self._nav_started += 1
        self._poke()

    def _on_request_done(self, request: Request) -> None:
        if self._network is not None:
            self._network.on_done(request)
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
        blocked_before = len(self.blocked)
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
        if len(self.blocked) > blocked_before and not error:
            shown = ", ".join(self.blocked[blocked_before:][:3])
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
                # Key by key, as WebArena types: autocomplete widgets see every keydown/keypress/keyup.
                await page.keyboard.type(action.text)
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
            reason = refusal(action.text, self.allowed)
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
