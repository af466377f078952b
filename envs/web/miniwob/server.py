"""Serve the `miniwob` package's task pages (MiniWoB++, MIT) on loopback, read-only, in a thread."""

from __future__ import annotations

import contextlib
import functools
import http.server
import importlib.util
import threading
from collections.abc import Iterator
from pathlib import Path

from agent_rl.errors import UserError

MINIWOB_VAR = "MINIWOB"  # the site variable of MiniWoB++ tasks: {"MINIWOB": base_url}


def html_root() -> Path:
    """The package's `html/` folder (`miniwob/*.html`, `core/`, `common/`), found without importing it."""
    spec = importlib.util.find_spec("miniwob")
    if spec is None or not spec.submodule_search_locations:
        raise UserError(
            "MiniWoB++ needs the `miniwob` package: pip install --no-deps miniwob (its Selenium runtime "
            "is not used; WebEnv drives the pages)"
        )
    root = Path(next(iter(spec.submodule_search_locations))) / "html"
    if not (root / "miniwob").is_dir():
        raise UserError(f"the miniwob package at {root.parent} ships no html/miniwob pages")
    return root


class _Pages(http.server.SimpleHTTPRequestHandler):
    timeout = 20.0  # a stalled client cannot hold a thread

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


@contextlib.contextmanager
def serve_miniwob(host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve the task pages until the block ends; yields the base URL (pages at BASE/miniwob/NAME.html)."""
    handler = functools.partial(_Pages, directory=str(html_root()))
    server = http.server.ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="miniwob-pages", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
