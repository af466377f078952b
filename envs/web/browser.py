"""One Chromium shared by many environments.

Design: a `BrowserHost` owns an asyncio event loop on a background thread, and that loop owns the Playwright
driver and one browser. Environments keep their own browser *context* (fresh per episode, so cookies never
leak) and talk to the loop through `host.run(coroutine)`, which blocks the calling thread only. Many envs
driven from many threads therefore run at once on one browser, and the sync Gymnasium facade works even
when the caller already runs an asyncio loop (the sync Playwright API does not).

If the browser dies, `ensure_browser()` relaunches it on the next episode.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from playwright.async_api import Browser, Playwright, async_playwright

T = TypeVar("T")

DEBIAN_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class BrowserHost:
    """An event loop thread that owns one Playwright browser; thread-safe entry through `run`."""

    def __init__(self, headless: bool = True) -> None:
        self.headless = headless
        self.marker = f"--agent-rl-host={uuid.uuid4().hex}"  # lets us find our own browser process by id
        self._home = Path(tempfile.mkdtemp(prefix="agent-rl-browser-"))
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="agent-rl-browser", daemon=True)
        self._thread.start()
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._lock: asyncio.Lock | None = None
        self.launches = 0

    def __deepcopy__(self, memo: dict) -> BrowserHost:
        """A host is shared, never copied (gymnasium.make deep-copies an env's keyword arguments)."""
        return self

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run a coroutine on the browser loop and wait for its result in the calling thread."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("BrowserHost.run called from the browser loop itself; await the coroutine")
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"the browser did not answer within {timeout:.0f} s") from None

    def connected(self) -> bool:
        return self._browser is not None and self._browser.is_connected()

    async def ensure_browser(self) -> Browser:
        """The live browser, launched (or relaunched after a crash) on demand; call on the loop."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._browser is not None and self._browser.is_connected():
                return self._browser
            if self._playwright is None:
                self._playwright = await async_playwright().start()
            self._browser = await self._playwright.chromium.launch(
                headless=self.headless,
                executable_path=DEBIAN_CHROMIUM if os.path.exists(DEBIAN_CHROMIUM) else None,
                args=[*CHROMIUM_ARGS, self.marker],
                env={
                    **os.environ,
                    "XDG_CONFIG_HOME": str(self._home / "config"),
                    "XDG_CACHE_HOME": str(self._home / "cache"),
                },
            )
            self.launches += 1
            return self._browser

    def browser_pid(self) -> int | None:
        """The process id of this host's main browser process (found by our marker flag), if running."""
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                args = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if self.marker.encode() in args and not any(a.startswith(b"--type=") for a in args):
                return int(entry.name)
        return None

    def close(self) -> None:
        async def _shutdown() -> None:
            if self._browser is not None and self._browser.is_connected():
                await self._browser.close()
            if self._playwright is not None:
                await self._playwright.stop()

        if self._loop.is_running():
            with contextlib.suppress(Exception):  # a dead browser or driver has nothing left to close
                self.run(_shutdown(), timeout=30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        shutil.rmtree(self._home, ignore_errors=True)


_shared: BrowserHost | None = None
_shared_lock = threading.Lock()


def shared_host() -> BrowserHost:
    """The process-wide host that environments use unless given their own."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = BrowserHost()
        return _shared
