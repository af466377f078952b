"""Shared machinery of the bundled sites: a tiny router, cookie sessions, SQLite seed/reset, HTML layout.

Each site is a `SiteApp`: a SQLite database built once from a deterministic seed and kept pristine in memory,
a live copy that requests read and write, and routes declared with `@route`. Every site answers
`GET /__health` (JSON).

The harness endpoints, `POST /__reset` (copies the pristine database over the live one) and the read-only
`/__api/*` the evaluators' helpers read, answer only requests that carry the harness key in the
`X-Agent-RL-Harness` header: the agent's browser never has it, so it can neither reset a site nor read
other users' data (404, as if they did not exist). The key is random per process unless
`AGENT_RL_SITES_KEY` is set (`agent-rl sites serve` prints it, for a harness in another process).

Sessions are signed cookies (an HMAC of the user name and a random per-login nonce, one cookie name per site
and realm): each login gets a new session, as on a real site, and they need no server-side table, so they survive a reset, and a saved storage-state file stays valid while the server
runs. The HMAC key is random per launch, so no cookie can be forged from the source.
Requests are served one at a time per site under a lock: pages take milliseconds and it keeps SQLite simple.
Bodies are bounded (`MAX_BODY`), sockets time out, and a missing, bad or huge Content-Length gets 400.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import html
import json
import math
import os
import random
import re
import secrets
import sqlite3
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HARNESS_HEADER = "X-Agent-RL-Harness"
HARNESS_KEY_VAR = "AGENT_RL_SITES_KEY"
MAX_BODY = 1 << 20  # bytes of a request body; a form is a few hundred
SOCKET_TIMEOUT_S = 20.0
_process_key: str | None = None
_key_lock = threading.Lock()


def harness_key() -> str:
    """The key that opens the harness endpoints: `AGENT_RL_SITES_KEY` if set, else random for this process."""
    global _process_key
    with _key_lock:
        if _process_key is None:
            _process_key = os.environ.get(HARNESS_KEY_VAR) or secrets.token_hex(16)
        return _process_key


def harness_headers() -> dict[str, str]:
    """Headers for a harness request (reset, helper reads) to a bundled site."""
    return {HARNESS_HEADER: harness_key()}


def safe_next(value: str) -> str:
    """A `next=` target that stays on this site: a path, with no CR/LF or other control characters.

    Browsers drop tabs and newlines from URLs and read `\\` as `/`, so `/\\evil` and `/\t/evil` would leave
    the site (as `//evil`); control characters in a Location header would inject headers.
    """
    value = re.sub(r"[\x00-\x1f\x7f]", "", value)
    if not value.startswith("/") or value[1:2] in ("/", "\\"):
        return "/"
    return value


def form_number(text: str, what: str, *, lo: float, hi: float, whole: bool = False) -> float:
    """A finite number in [LO, HI] from a form field; HttpError 400 for anything else (inf, 1e400, 10**30)."""
    try:
        value = float(text.replace("$", "").replace(",", "").strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not lo <= value <= hi or (whole and not value.is_integer()):
        kind = "a whole number" if whole else "a number"
        raise HttpError(400, f"{what} must be {kind} from {lo:,.0f} to {hi:,.0f}.")
    return value


CSS = """
body{font-family:system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fafafa;font-size:15px}
header{background:#24324a;color:#fff;padding:8px 16px}
header a,header button.link{color:#fff}
nav{display:flex;gap:14px;align-items:center;flex-wrap:wrap}
main{padding:12px 20px;max-width:1100px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
form.inline{display:inline}
.card{background:#fff;border:1px solid #ddd;padding:8px 12px;margin:8px 0}
.muted{color:#666}.error{color:#a00;font-weight:bold}.ok{color:#070;font-weight:bold}
label{margin-right:6px}fieldset{margin:8px 0}
"""


def h(value: object) -> str:
    """HTML-escape any value for text and attribute positions."""
    return html.escape(str(value), quote=True)


def url_quote(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def hash_password(username: str, password: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), username.encode(), 1000).hex()


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    cookies: dict[str, str]
    users: dict[str, str] = field(default_factory=dict)  # realm -> signed-in user name
    harness: bool = False  # the request carries the harness key

    @property
    def user(self) -> str | None:
        return self.users.get("user")

    @property
    def full_path(self) -> str:
        qs = urllib.parse.urlencode(self.query)
        return self.path + (f"?{qs}" if qs else "")


@dataclass
class Response:
    body: str | bytes = ""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)


class HttpError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def redirect(location: str, headers: Iterable[tuple[str, str]] = ()) -> Response:
    return Response("", status=303, headers=[("Location", location), *headers])


def json_response(obj: object, status: int = 200) -> Response:
    return Response(json.dumps(obj), status=status, content_type="application/json")


def route(method: str, pattern: str) -> Callable:
    """Mark a `SiteApp` method as the handler of METHOD on paths fully matching the regex PATTERN."""

    def mark(fn: Callable) -> Callable:
        fn._route = (method, re.compile(pattern))
        return fn

    return mark


class SiteApp:
    """One bundled site. Subclasses set the class attributes and implement `create_schema` and `seed`."""

    name = "site"  # short name used by the CLI (shop, forum, wiki)
    title = "Site"
    description = ""  # one paragraph for people and task proposers
    realms: dict[str, str] = {"user": "site_session"}  # realm -> cookie name
    login_paths: dict[str, str] = {"user": "/login"}
    nav_links: list[tuple[str, str]] = []

    def __init__(self, seed: int = 0, secret: str | None = None, key: str | None = None):
        self.seed_value = seed
        self.secret = f"{secret or secrets.token_hex(16)}:{self.name}".encode()
        self.harness_key = key or harness_key()
        self.lock = threading.RLock()
        self.pristine = self.build_database(seed)
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.reset()
        self.routes = [
            (fn._route[0], fn._route[1], fn)
            for fn in (getattr(self, attr) for attr in dir(type(self)) if not attr.startswith("__"))
            if hasattr(fn, "_route")
        ]

    # --- database -------------------------------------------------------------------------------------------
    @classmethod
    def build_database(cls, seed: int = 0) -> sqlite3.Connection:
        """The seed state: same seed, same rows (the generator draws only from `random.Random(seed)`)."""
        conn = sqlite3.connect(":memory:", check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.executescript(cls.schema)
        cls.seed(conn, random.Random(seed))
        conn.commit()
        return conn

    schema = ""

    @classmethod
    def seed(cls, conn: sqlite3.Connection, rng: random.Random) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        """Restore the seed state (the live database becomes a copy of the pristine one)."""
        with self.lock:
            self.pristine.backup(self.db)

    def all(self, sql: str, *args: object) -> list[sqlite3.Row]:
        return self.db.execute(sql, args).fetchall()

    def one(self, sql: str, *args: object) -> sqlite3.Row | None:
        return self.db.execute(sql, args).fetchone()

    def run(self, sql: str, *args: object) -> int:
        cur = self.db.execute(sql, args)
        self.db.commit()
        return cur.lastrowid or 0

    # --- sessions -------------------------------------------------------------------------------------------
    def sign(self, realm: str, username: str, nonce: str) -> str:
        mac = hmac.new(self.secret, f"{realm}:{username}:{nonce}".encode(), hashlib.sha256).hexdigest()[:32]
        return f"{url_quote(username)}.{nonce}.{mac}"

    def _session_user(self, realm: str, value: str) -> str | None:
        name, nonce, _mac = (value.rsplit(".", 2) + ["", ""])[:3]
        username = urllib.parse.unquote(name)
        valid = username and nonce and hmac.compare_digest(self.sign(realm, username, nonce), value)
        return username if valid else None

    def session_cookie(self, realm: str, username: str) -> tuple[str, str]:
        """A new session for each login (a random nonce under the MAC), as real sites issue a new session id."""
        value = self.sign(realm, username, secrets.token_hex(8))
        return ("Set-Cookie", f"{self.realms[realm]}={value}; Path=/; HttpOnly; SameSite=Lax")

    def check_password(self, realm: str, login: str, password: str) -> str | None:
        """The user name for LOGIN (user name or e-mail) and PASSWORD in REALM, or None."""
        row = self.one("SELECT * FROM users WHERE username = ? OR email = ?", login.strip(), login.strip())
        if row is None or not hmac.compare_digest(
            row["password_hash"], hash_password(row["username"], password)
        ):
            return None
        if realm == "admin" and not row["is_admin"]:
            return None
        return row["username"]

    def require(self, req: Request, realm: str = "user") -> str:
        """The signed-in user of REALM; otherwise redirect to that realm's login page, back here after."""
        user = req.users.get(realm)
        if user is None:
            raise Redirect(f"{self.login_paths[realm]}?next={url_quote(req.full_path)}")
        return user

    # --- request handling -----------------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        for realm, cookie in self.realms.items():
            user = self._session_user(realm, req.cookies.get(cookie, ""))
            if user:
                req.users[realm] = user
        try:
            with self.lock:
                return self.dispatch(req)
        except Redirect as r:
            return redirect(r.location)
        except HttpError as err:
            return Response(self.layout(req, err.message, f"<p>{h(err.message)}</p>"), status=err.status)

    def dispatch(self, req: Request) -> Response:
        if req.path == "/__health":
            return json_response({"ok": True, "site": self.name})
        if (req.path == "/__reset" or req.path.startswith("/__api/")) and not req.harness:
            raise HttpError(404, "Page not found")
        if req.path == "/__reset":
            if req.method != "POST":
                raise HttpError(405, "Use POST to reset the site")
            self.reset()
            return json_response({"ok": True, "site": self.name, "reset": True})
        if req.path == "/favicon.ico":
            return Response(b"", status=204, content_type="image/x-icon")
        methods = ("GET", "HEAD") if req.method == "HEAD" else (req.method,)
        for method, pattern, fn in self.routes:
            match = pattern.fullmatch(req.path)
            if match and method in methods:
                out = fn(req, **match.groupdict())
                return out if isinstance(out, Response) else Response(out)
        raise HttpError(404, "Page not found")

    # --- login pages shared by all sites ----------------------------------------------------------------------
    def login_page(self, req: Request, realm: str, error: str = "") -> str:
        action = self.login_paths[realm]
        nxt = req.form.get("next") or req.query.get("next") or "/"
        body = f"""
<form method="post" action="{h(action)}" class="card" aria-label="Sign in">
  {f'<p class="error" role="alert">{h(error)}</p>' if error else ""}
  <p><label for="username">Username or email</label>
     <input id="username" name="username" autocomplete="username" required></p>
  <p><label for="password">Password</label>
     <input id="password" name="password" type="password" autocomplete="current-password" required></p>
  <input type="hidden" name="next" value="{h(nxt)}">
  <p><button type="submit">Sign in</button></p>
</form>"""
        return self.layout(req, "Sign in", body)

    def do_login(self, req: Request, realm: str) -> Response:
        user = self.check_password(realm, req.form.get("username", ""), req.form.get("password", ""))
        if user is None:
            return Response(self.login_page(req, realm, "Invalid username or password."), status=401)
        return redirect(safe_next(req.form.get("next") or "/"), [self.session_cookie(realm, user)])

    @route("GET", "/login")
    def get_login(self, req: Request) -> str:
        return self.login_page(req, "user")

    @route("POST", "/login")
    def post_login(self, req: Request) -> Response:
        return self.do_login(req, "user")

    @route("POST", "/logout")
    def post_logout(self, req: Request) -> Response:
        cookies = [("Set-Cookie", f"{c}=; Path=/; Max-Age=0") for c in self.realms.values()]
        return redirect("/", cookies)

    # --- layout ------------------------------------------------------------------------------------------------
    def user_area(self, req: Request) -> str:
        if req.user:
            return (
                f'<span>Signed in as <a href="{h(self.profile_path(req.user))}">{h(req.user)}</a></span>'
                '<form method="post" action="/logout" class="inline"><button type="submit">Sign out</button></form>'
            )
        return f'<a href="/login?next={url_quote(req.full_path)}">Sign in</a>'

    def profile_path(self, username: str) -> str:
        return "/account"

    def search_form(self, req: Request) -> str:
        value = req.query.get("q", "") if req.path == "/search" else ""
        return (
            '<form role="search" method="get" action="/search" class="inline">'
            f'<label for="site-search">Search</label><input id="site-search" name="q" type="search" value="{h(value)}">'
            '<button type="submit">Go</button></form>'
        )

    def layout(self, req: Request, title: str, body: str, heading: bool = True) -> str:
        links = "".join(f'<a href="{h(href)}">{h(text)}</a>' for text, href in self.nav_links)
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{h(title)} | {h(self.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head>
<body><header><nav aria-label="Main"><a href="/"><strong>{h(self.title)}</strong></a>{links}
{self.search_form(req)}{self.user_area(req)}</nav></header>
<main>{f"<h1>{h(title)}</h1>" if heading else ""}{body}</main></body></html>"""


class Redirect(Exception):
    def __init__(self, location: str):
        super().__init__(location)
        self.location = location


# --- HTTP server --------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server: SiteServer
    protocol_version = "HTTP/1.1"
    timeout = SOCKET_TIMEOUT_S  # a client that stalls mid-request cannot hold a thread forever

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._serve()

    do_POST = do_HEAD = do_GET

    def _serve(self) -> None:
        parts = urllib.parse.urlsplit(self.path)
        declared = (self.headers.get("Content-Length") or "0").strip()
        if not declared.isdigit() or int(declared) > MAX_BODY:
            self.close_connection = True  # the body was not read, so the connection cannot be reused
            body = f"Bad Content-Length (at most {MAX_BODY} bytes)"
            self._send(Response(body, 400, "text/plain", [("Connection", "close")]))
            return
        length = int(declared)
        raw = self.rfile.read(length) if length else b""
        form: dict[str, str] = {}
        if raw and "application/x-www-form-urlencoded" in (self.headers.get("Content-Type") or ""):
            form = dict(urllib.parse.parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        cookies: dict[str, str] = {}
        with contextlib.suppress(CookieError):
            cookies = {k: m.value for k, m in SimpleCookie(self.headers.get("Cookie") or "").items()}
        req = Request(
            method=self.command,
            path=urllib.parse.unquote(parts.path) or "/",
            query=dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True)),
            form=form,
            cookies=cookies,
            harness=hmac.compare_digest(self.headers.get(HARNESS_HEADER) or "", self.server.app.harness_key),
        )
        self._send(self.server.app.handle(req))

    def _send(self, resp: Response) -> None:
        payload = resp.body.encode() if isinstance(resp.body, str) else resp.body
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Cache-Control", "no-store")
        for key, value in resp.headers:
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        if self.server.verbose:
            super().log_message(format, *args)


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, app: SiteApp, host: str, port: int, verbose: bool = False):
        super().__init__((host, port), _Handler)
        self.app = app
        self.verbose = verbose
        self.thread = threading.Thread(target=self.serve_forever, name=f"site-{app.name}", daemon=True)

    def handle_error(self, request: object, client_address: object) -> None:
        """A browser that closes a connection mid-request is normal; anything else is still reported."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SiteServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join(timeout=5)
