"""An episode's network trace as HAR entries, the format WebArena-Verified's `NetworkEventEvaluator` reads.

Each finished (or failed) request of the episode's context becomes one HAR 1.2 entry: method, URL, every
request header as sent (cookies and `sec-fetch-*` included, which tell navigations apart), the form or JSON
body, and the response's status, headers, `Set-Cookie` cookies, `Location` and JSON body. Entries keep the
order the requests started in. The log is bounded: static assets (stylesheets, scripts, images, fonts: never
evaluated) are not kept, a body longer than `MAX_BODY_CHARS` is cut, bodies past `MAX_BODIES_CHARS` in all are
left out, and after `MAX_ENTRIES` entries the log stops growing; its comment says what was left out.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import urllib.parse
from pathlib import Path
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Request

MAX_ENTRIES = 5000
MAX_BODY_CHARS = 65536
MAX_BODIES_CHARS = 8 * 2**20
READ_TIMEOUT_S = 10.0
STATIC_SUFFIXES = (
    ".css",
    ".js",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".svg",
    ".woff",
    ".woff2",
    ".ttf",
    ".ico",
    ".webp",
)
BODY_TYPES = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")


def is_static(url: str) -> bool:
    return urllib.parse.urlsplit(url).path.lower().endswith(STATIC_SUFFIXES)


def _pairs(headers: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in headers.items()]


def _cookies(set_cookie: str) -> list[dict[str, str]]:
    """HAR cookies of a response's Set-Cookie header (Playwright joins several with newlines)."""
    out = []
    for line in set_cookie.splitlines():
        name, sep, rest = line.partition("=")
        if sep and name.strip():
            out.append({"name": name.strip(), "value": rest.split(";", 1)[0].strip()})
    return out


def _cut(text: str) -> str:
    return text if len(text) <= MAX_BODY_CHARS else text[:MAX_BODY_CHARS]


class NetworkLog:
    """Collects HAR entries from a Playwright context's request events (on the browser loop)."""

    def __init__(self) -> None:
        self._order: dict[Request, int] = {}
        self._entries: dict[int, dict[str, Any]] = {}
        self._pending: set[asyncio.Future] = set()
        self._started = 0
        self._body_chars = 0
        self.dropped = 0
        self.bodies_dropped = 0

    def on_request(self, request: Request) -> None:
        if is_static(request.url):
            return
        if self._started >= MAX_ENTRIES:
            self.dropped += 1
            return
        self._order[request] = self._started
        self._started += 1

    def on_done(self, request: Request) -> None:
        index = self._order.pop(request, None)
        if index is not None:
            task = asyncio.ensure_future(self._record(index, request))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def entries(self) -> list[dict[str, Any]]:
        """The entries so far, in request order, once every finished request has been read (or given up on)."""
        if self._pending:  # bounded: reads of a browser that died never finish
            await asyncio.wait(list(self._pending), timeout=READ_TIMEOUT_S)
        return [self._entries[i] for i in sorted(self._entries)]

    async def har(self) -> dict[str, Any]:
        log: dict[str, Any] = {
            "version": "1.2",
            "creator": {"name": "agent-rl", "version": "1"},
            "entries": await self.entries(),
        }
        notes = []
        if self.dropped:
            notes.append(f"{self.dropped} later requests not recorded (limit {MAX_ENTRIES} entries)")
        if self.bodies_dropped:
            notes.append(f"{self.bodies_dropped} bodies left out (limit {MAX_BODIES_CHARS} characters)")
        if notes:
            log["comment"] = "log full: " + "; ".join(notes)
        return {"log": log}

    async def _record(self, index: int, request: Request) -> None:
        with contextlib.suppress(PlaywrightError):  # the page or context went away while it was being read
            entry = await _entry(request)
            for part in (entry["request"].get("postData"), entry["response"]["content"]):
                text = (part or {}).get("text")
                if text is None:
                    continue
                if self._body_chars + len(text) > MAX_BODIES_CHARS:
                    del part["text"]
                    self.bodies_dropped += 1
                else:
                    self._body_chars += len(text)
            self._entries[index] = entry


async def _entry(request: Request) -> dict[str, Any]:
    headers = await request.all_headers()
    sent: dict[str, Any] = {
        "method": request.method,
        "url": request.url,
        "httpVersion": "HTTP/1.1",
        "headers": _pairs(headers),
        "queryString": [
            {"name": k, "value": v}
            for k, v in urllib.parse.parse_qsl(
                urllib.parse.urlsplit(request.url).query, keep_blank_values=True
            )
        ],
        "cookies": [],
        "headersSize": -1,
        "bodySize": -1,
    }
    with contextlib.suppress(UnicodeDecodeError, PlaywrightError):
        body = request.post_data
        if body is not None:
            sent["postData"] = {"mimeType": headers.get("content-type", ""), "text": _cut(body)}
    response = await request.response()
    got: dict[str, Any] = {
        "status": 0,
        "statusText": "",
        "httpVersion": "HTTP/1.1",
        "headers": [],
        "cookies": [],
        "content": {"size": -1, "mimeType": ""},
        "redirectURL": "",
        "headersSize": -1,
        "bodySize": -1,
    }
    if response is not None:
        reply = await response.all_headers()
        mime = reply.get("content-type", "")
        got.update(
            status=response.status,
            statusText=response.status_text,
            headers=_pairs(reply),
            cookies=_cookies(reply.get("set-cookie", "")),
            redirectURL=reply.get("location", ""),
            content={"size": -1, "mimeType": mime},
        )
        if any(kind in mime for kind in BODY_TYPES) and not 300 <= response.status < 400:
            with contextlib.suppress(PlaywrightError, UnicodeDecodeError):
                got["content"]["text"] = _cut((await response.body()).decode())
    timing = request.timing
    started = datetime.datetime.fromtimestamp(timing.get("startTime", 0.0) / 1000, datetime.timezone.utc)
    return {
        "startedDateTime": started.isoformat(),
        "time": max(timing.get("responseEnd", 0.0), 0.0),
        "request": sent,
        "response": got,
        "cache": {},
        "timings": {"send": 0, "wait": 0, "receive": 0},
    }


def write_har(har: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(har))
    return path
