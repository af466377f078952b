"""Helper functions that `func:` URLs and locators of `program_html` targets name, for the bundled sites.

A target such as `{"url": "func:shopping_get_latest_order_url()", "locator": "", ...}` or
`{"url": "last", "locator": "func:shopping_get_sku_latest_review_author('EL-1003')", ...}` is resolved with

    call_helper("func:shopping_get_latest_order_url()", urls, last_url=page.url)

where URLS maps WebArena's variables to site URLs ({"SHOPPING": "http://127.0.0.1:PORT", ...}). The text is
parsed, never evaluated: a helper name from `HELPERS` and arguments that are Python literals (strings,
numbers); the token `__last_url__` inside a string argument becomes LAST_URL. Helpers read the live sites
through their read-only `/__api/...` endpoints (with the harness key, see `sites.base`) and return a string: a URL for a `url`, the value to check
for a `locator`.

Helpers (names follow WebArena's where the meaning is the same):
- `shopping_get_latest_order_url()`: the storefront URL of the signed-in customer's newest order.
- `shopping_get_sku_latest_review_author(sku)`: the author of the newest review of product SKU.
- `shopping_get_sku_latest_review_rating(sku)`: its rating, "1".."5".
- `reddit_get_post_url(url)`: the post page a post or comment URL belongs to (`…/f/forum/123`).
- `reddit_get_latest_post_url(username)`: the URL of the newest post by USERNAME.
- `wikipedia_get_reading_list()`: the titles on the wiki reader's reading list, one per line.
"""

from __future__ import annotations

import ast
import json
import re
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping

from agent_rl.errors import UserError
from envs.web.sites.base import harness_headers

_CALL_RE = re.compile(r"^\s*(?:func:)?\s*([A-Za-z_]\w*)\s*\((.*)\)\s*$", re.S)
SHOP_CUSTOMER = "alex"
WIKI_READER = "reader"


class HelperError(Exception):
    """A helper could not produce its value (site unreachable, unknown product, ...)."""


def _api(urls: Mapping[str, str], var: str, path: str, **params: str) -> object:
    if var not in urls:
        raise UserError(f"program_html helper needs the {var} site URL (set {var})")
    parts = urllib.parse.urlsplit(urls[var])
    url = f"{parts.scheme}://{parts.netloc}{path}?{urllib.parse.urlencode(params)}"
    try:
        request = urllib.request.Request(url, headers=harness_headers())
        with urllib.request.urlopen(request, timeout=10) as resp:
            return json.loads(resp.read())
    except (OSError, ValueError) as err:
        raise HelperError(f"cannot read {url}: {err}") from err


def _found(value: object, what: str) -> dict:
    if not isinstance(value, dict):
        raise HelperError(f"{what} does not exist")
    return value


def shopping_get_latest_order_url(urls: Mapping[str, str]) -> str:
    order = _found(_api(urls, "SHOPPING", "/__api/latest_order", user=SHOP_CUSTOMER), "the customer's order")
    return f"{urls['SHOPPING']}/orders/{order['id']}"


def shopping_get_sku_latest_review_author(urls: Mapping[str, str], sku: str) -> str:
    return str(
        _found(_api(urls, "SHOPPING", "/__api/latest_review", sku=sku), f"a review of {sku}")["author"]
    )


def shopping_get_sku_latest_review_rating(urls: Mapping[str, str], sku: str) -> str:
    return str(
        _found(_api(urls, "SHOPPING", "/__api/latest_review", sku=sku), f"a review of {sku}")["rating"]
    )


def reddit_get_post_url(urls: Mapping[str, str], url: str) -> str:
    match = re.search(r"^(.*?/f/[^/]+/\d+)", url)
    if not match:
        raise HelperError(f"{url} is not a post or comment URL")
    return match.group(1)


def reddit_get_latest_post_url(urls: Mapping[str, str], username: str) -> str:
    post = _found(_api(urls, "REDDIT", "/__api/latest_post", user=username), f"a post by {username}")
    return f"{urls['REDDIT']}/f/{post['forum']}/{post['id']}"


def wikipedia_get_reading_list(urls: Mapping[str, str]) -> str:
    titles = _api(urls, "WIKIPEDIA", "/__api/reading_list", user=WIKI_READER)
    return "\n".join(map(str, titles)) if isinstance(titles, list) else ""


HELPERS: dict[str, Callable[..., str]] = {
    fn.__name__: fn
    for fn in (
        shopping_get_latest_order_url,
        shopping_get_sku_latest_review_author,
        shopping_get_sku_latest_review_rating,
        reddit_get_post_url,
        reddit_get_latest_post_url,
        wikipedia_get_reading_list,
    )
}


def helper_name(expr: str) -> str:
    match = _CALL_RE.match(expr)
    return match.group(1) if match else expr.removeprefix("func:").strip()


def parse_call(expr: str, last_url: str = "") -> tuple[str, list[object]]:
    """NAME and literal ARGS of `func:NAME(ARGS)`; `__last_url__` in a string argument becomes LAST_URL."""
    match = _CALL_RE.match(expr)
    if not match:
        raise UserError(f"cannot parse helper call {expr!r}; expected func:name('arg', ...)")
    name, arg_text = match.groups()
    try:
        args = list(ast.literal_eval(f"({arg_text},)")) if arg_text.strip() else []
    except (ValueError, SyntaxError) as err:
        raise UserError(f"helper call {expr!r}: arguments must be literals (strings, numbers)") from err
    return name, [a.replace("__last_url__", last_url) if isinstance(a, str) else a for a in args]


def call_helper(expr: str, urls: Mapping[str, str], last_url: str = "") -> str:
    """Resolve a `func:` URL or locator against the live sites at URLS ({"SHOPPING": url, ...})."""
    name, args = parse_call(expr, last_url)
    if name not in HELPERS:
        raise UserError(f"unknown program_html helper {name!r}; known: {', '.join(HELPERS)}")
    try:
        return HELPERS[name](urls, *args)
    except TypeError as err:
        raise UserError(f"helper call {expr!r}: {err}") from err
