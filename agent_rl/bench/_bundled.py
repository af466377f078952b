"""What the web benchmarks run on: the bundled sites with saved logins, their tasks, and one browser."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from tempfile import TemporaryDirectory
from typing import Any


@dataclass
class BundledRun:
    host: Any  # envs.web.browser.BrowserHost
    urls: dict[str, str]  # {"SHOPPING": url, ...}
    auth_dir: str  # the sites' storage states, signed in before the run
    tasks: list[Any]  # the bundled tasks, filled with URLS

    def read_only(self, count: int) -> list[Any]:
        """The first COUNT tasks that change nothing (no reset lane serialises them)."""
        free = [t for t in self.tasks if not t.require_reset and "program_html" not in t.eval.eval_types]
        return free[:count]


@contextlib.contextmanager
def bundled_run() -> Iterator[BundledRun]:
    from envs.web.browser import BrowserHost
    from envs.web.sites.launcher import start_sites
    from envs.web.tasks import load_bundled_tasks

    host = BrowserHost()
    try:
        with start_sites() as sites, TemporaryDirectory(prefix="bench-auth-") as auth:
            sites.write_storage_states(auth)
            urls = {k.upper(): v for k, v in sites.urls.items()}
            yield BundledRun(host, urls, auth, load_bundled_tasks(urls))
    finally:
        host.close()
