"""Start the bundled sites on loopback, in threads of this process, and hand back their URLs.

    with start_sites() as sites:            # every site, each on a free port
        sites.urls["shopping"]              # http://127.0.0.1:PORT
        sites.env_vars()                    # {"SHOPPING": ..., "SHOPPING_ADMIN": ..., "REDDIT": ..., ...}
        sites.reset("shopping")             # restore the seed state
        sites.write_storage_states(folder)  # folder/shopping_state.json ... (Playwright storage states)

Site names: `shop` (URL keys shopping + shopping_admin), `forum` (reddit), `wiki` (wikipedia); a homepage
listing them always runs too. The URL keys are WebArena's site names, so they fill its `__SHOPPING__`-style
placeholders.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib
import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from agent_rl.errors import UserError
from envs.web.sites.base import Request, SiteApp, SiteServer, h, harness_headers, route

SITE_CLASSES = {
    "shop": "envs.web.sites.shop:ShopApp",
    "forum": "envs.web.sites.forum:ForumApp",
    "wiki": "envs.web.sites.wiki:WikiApp",
}
URL_KEYS = {
    "shop": {"shopping": "", "shopping_admin": "/admin"},
    "forum": {"reddit": ""},
    "wiki": {"wikipedia": ""},
}
ALIASES = {key: site for site, keys in URL_KEYS.items() for key in keys}


def site_class(name: str) -> type[SiteApp]:
    module, cls = SITE_CLASSES[name].split(":")
    return getattr(importlib.import_module(module), cls)


def site_name(name: str) -> str:
    """`shop`, `forum` or `wiki` for a site name or one of its URL keys (`shopping`, `reddit`, ...)."""
    name = name.strip().lower()
    if name in SITE_CLASSES:
        return name
    if name in ALIASES:
        return ALIASES[name]
    raise UserError(f"unknown site {name!r}; bundled sites are {', '.join(SITE_CLASSES)}")


def accounts(names: list[str] | None = None) -> dict[str, dict[str, str]]:
    """Login of each URL key of sites NAMES: {"shopping": {"username", "password", "login_path"}, ...}."""
    out: dict[str, dict[str, str]] = {}
    for name in names or SITE_CLASSES:
        out.update(importlib.import_module(SITE_CLASSES[name].split(":")[0]).ACCOUNTS)
    return out


class HomeApp(SiteApp):
    """WebArena's HOMEPAGE: a page of links to the sites that run."""

    name = "homepage"
    title = "Bundled sites"
    schema = (
        "CREATE TABLE users (username TEXT PRIMARY KEY, email TEXT, password_hash TEXT, is_admin INTEGER);"
    )
    links: dict[str, str] = {}

    @classmethod
    def seed(cls, conn, rng) -> None:
        return None

    def search_form(self, req: Request) -> str:
        return ""

    def user_area(self, req: Request) -> str:
        return ""

    @route("GET", "/")
    def home(self, req: Request) -> str:
        items = "".join(f'<li><a href="{h(url)}">{h(key)}</a></li>' for key, url in self.links.items())
        return self.layout(req, "Bundled sites", f"<ul>{items}</ul>")


def login_cookie(base_url: str, username: str, password: str, login_path: str = "/login") -> dict:
    """Sign in over HTTP, as a browser would, and return the session cookie in Playwright's format."""
    parts = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    body = urllib.parse.urlencode({"username": username, "password": password, "next": "/"})
    conn.request("POST", login_path, body, {"Content-Type": "application/x-www-form-urlencoded"})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    cookie = resp.getheader("Set-Cookie")
    if resp.status != 303 or not cookie:
        raise UserError(f"could not sign in to {base_url}{login_path} as {username} (HTTP {resp.status})")
    name, _, value = cookie.split(";", 1)[0].partition("=")
    return {
        "name": name,
        "value": value,
        "domain": parts.hostname,
        "path": "/",
        "expires": -1,
        "httpOnly": True,
        "secure": False,
        "sameSite": "Lax",
    }


def http_reset(url: str, timeout: float = 10.0) -> None:
    """Reset a bundled site that runs anywhere (e.g. under `agent-rl sites serve`): POST /__reset with the
    harness key (this process's, or `AGENT_RL_SITES_KEY` for sites another process serves)."""
    parts = urllib.parse.urlsplit(url)
    target = f"{parts.scheme}://{parts.netloc}/__reset"
    try:
        with urllib.request.urlopen(
            urllib.request.Request(target, data=b"", method="POST", headers=harness_headers()),
            timeout=timeout,
        ) as r:
            if r.status != 200:
                raise UserError(f"reset of {target} answered HTTP {r.status}")
    except OSError as err:
        raise UserError(f"cannot reset {target}: {err}") from err


@dataclass
class SitesHandle:
    servers: dict[str, SiteServer]  # site name (shop, forum, wiki, homepage) -> running server
    urls: dict[str, str] = field(default_factory=dict)  # URL key (shopping, reddit, ..., homepage) -> URL

    def env_vars(self) -> dict[str, str]:
        """WebArena's environment variables for these sites: SHOPPING, SHOPPING_ADMIN, REDDIT, ..."""
        return {key.upper(): url for key, url in self.urls.items()}

    def descriptions(self) -> dict[str, str]:
        """{URL key: what the site offers}, e.g. to prompt a task proposer."""
        return {key: self.app(key).description for key in self.urls if self.app(key).description}

    def app(self, name: str) -> SiteApp:
        return self.servers[site_name(name) if name != "homepage" else name].app

    def reset(self, name: str | None = None) -> None:
        """Restore the seed state of one site (any of its names) or, with no name, of all."""
        chosen = (
            [self.servers[name if name == "homepage" else site_name(name)]] if name else self.servers.values()
        )
        for server in chosen:
            server.app.reset()

    def write_storage_states(self, folder: str | Path) -> dict[str, Path]:
        """Sign in to every site and save `<key>_state.json` (Playwright storage state) per URL key.

        Also saves `all_state.json` with every session, for tasks that span sites.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        logins = accounts([n for n in self.servers if n in SITE_CLASSES])
        out: dict[str, Path] = {}
        every: list[dict] = []
        for key, url in self.urls.items():
            if key not in logins:
                continue
            acc = logins[key]
            origin = url.removesuffix(URL_KEYS[ALIASES[key]][key]) if URL_KEYS[ALIASES[key]][key] else url
            cookie = login_cookie(origin, acc["username"], acc["password"], acc["login_path"])
            every.append(cookie)
            out[key] = folder / f"{key}_state.json"
            out[key].write_text(json.dumps({"cookies": [cookie], "origins": []}, indent=2))
        out["all"] = folder / "all_state.json"
        out["all"].write_text(json.dumps({"cookies": every, "origins": []}, indent=2))
        return out

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()

    def __enter__(self) -> SitesHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_sites(
    names: list[str] | str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    seed: int = 0,
    verbose: bool = False,
) -> SitesHandle:
    """Start the named sites (default: all) and a homepage. PORT 0 picks free ports; otherwise the sites take
    PORT, PORT+1, ... in the order shop, forum, wiki, homepage."""
    if isinstance(names, str):
        names = [n for n in names.split(",") if n.strip()]
    chosen = [n for n in SITE_CLASSES if n in {site_name(x) for x in (names or SITE_CLASSES)}]
    servers: dict[str, SiteServer] = {}
    try:
        for i, name in enumerate([*chosen, "homepage"]):
            app = HomeApp(seed) if name == "homepage" else site_class(name)(seed)
            try:
                servers[name] = SiteServer(app, host, port + i if port else 0, verbose).start()
            except OSError as err:
                raise UserError(f"cannot serve {name} on {host}:{port + i if port else 0}: {err}") from err
    except BaseException:
        for server in servers.values():
            server.stop()
        raise
    handle = SitesHandle(servers)
    for name in chosen:
        for key, suffix in URL_KEYS[name].items():
            handle.urls[key] = servers[name].url + suffix
    home = servers["homepage"].app
    assert isinstance(home, HomeApp)
    home.links = dict(handle.urls)
    handle.urls["homepage"] = servers["homepage"].url
    return handle


@contextlib.contextmanager
def live_sites(from_env: bool = False) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """({URL key: url}, {URL key: description}) for a run: the bundled sites, started for its duration, or
    with `from_env` the sites named by SHOPPING, REDDIT, ... (e.g. self-hosted WebArena), left as they are."""
    if from_env:
        from envs.web.urls import site_urls

        urls = {var.lower(): url for var, url in site_urls().items()}
        if not urls:
            raise UserError(
                "sites_from_env is set but none of SHOPPING, SHOPPING_ADMIN, REDDIT, GITLAB, WIKIPEDIA, MAP, "
                "HOMEPAGE is; export the URL of each site you run (e.g. SHOPPING=http://host:7770)"
            )
        yield urls, {}
        return
    with start_sites() as sites:
        yield dict(sites.urls), sites.descriptions()
