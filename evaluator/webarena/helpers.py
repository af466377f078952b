"""`func:` helpers of program_html targets: WebArena's, for its real containers, and how a call is resolved.

WebArena's harness `eval`s the helper text; here it is parsed (`envs.web.sites.helpers.parse_call`): a name
from a helper table and literal arguments, where `__last_url__` inside a string becomes the current page's
URL and a bare `__page__` becomes the page itself. Each helper takes the site URLs first.

`WEBARENA_HELPERS` read the real sites as WebArena's do: Magento through its REST API with an admin token
from `POST /rest/default/V1/integration/admin/token` (WebArena's admin account unless
`SHOPPING_ADMIN_USER` / `SHOPPING_ADMIN_PASSWORD` are set), Postmill URLs by their shape, GitLab's member
role from the open members page. The bundled sites have their own table (`envs.web.sites.helpers.HELPERS`).
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from agent_rl.errors import UserError
from envs.web.sites.helpers import HelperError, helper_name, parse_call

__all__ = ["HelperError", "WEBARENA_HELPERS", "call_helper", "helper_name"]

ADMIN_ACCOUNT = ("admin", "admin1234")  # WebArena's `shopping_site_admin`
_PAGE = "\x00page"  # what a bare __page__ becomes while the call is parsed
_TIMEOUT_S = 20


def call_helper(expr: str, helpers: Mapping[str, Callable], urls: Mapping[str, str], page: Any = None) -> Any:
    """Resolve a `func:` URL or locator with HELPERS against the sites at URLS and the open PAGE."""
    last_url = page.url if page is not None else ""
    name, args = parse_call(re.sub(r"\b__page__\b", lambda _: repr(_PAGE), expr), last_url)
    if name not in helpers:
        raise UserError(f"unknown program_html helper {name!r}; known: {', '.join(helpers)}")
    args = [page if arg == _PAGE else arg for arg in args]
    try:
        return helpers[name](urls, *args)
    except TypeError as err:
        raise UserError(f"helper call {expr!r}: {err}") from err


def _request(method: str, url: str, body: Any = None, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, data=data, headers=headers, method=method), timeout=_TIMEOUT_S
        ) as resp:
            return json.loads(resp.read())
    except (OSError, ValueError) as err:  # HTTPError is an OSError
        raise HelperError(f"{method} {url}: {err}") from err


def _shop(urls: Mapping[str, str]) -> str:
    if "SHOPPING" not in urls:
        raise UserError("this program_html helper needs the SHOPPING site URL (set SHOPPING)")
    return urls["SHOPPING"].rstrip("/")


def shopping_admin_token(urls: Mapping[str, str]) -> str:
    """A Magento admin token, fetched afresh for each call as WebArena does."""
    user = os.environ.get("SHOPPING_ADMIN_USER", ADMIN_ACCOUNT[0])
    password = os.environ.get("SHOPPING_ADMIN_PASSWORD", ADMIN_ACCOUNT[1])
    url = f"{_shop(urls)}/rest/default/V1/integration/admin/token"
    token = _request("POST", url, {"username": user, "password": password})
    if not isinstance(token, str):
        raise HelperError(f"POST {url} returned {token!r}, not a token")
    return token


def shopping_get_latest_order_url(urls: Mapping[str, str]) -> str:
    query = urllib.parse.urlencode(
        {
            "searchCriteria[sortOrders][0][field]": "created_at",
            "searchCriteria[sortOrders][0][direction]": "DESC",
            "searchCriteria[pageSize]": "1",
        }
    )
    found = _request("GET", f"{_shop(urls)}/rest/V1/orders?{query}", token=shopping_admin_token(urls))
    items = found.get("items") if isinstance(found, dict) else None
    if not items:
        raise HelperError("the shop has no orders")
    return f"{_shop(urls)}/sales/order/view/order_id/{int(items[0]['increment_id'])}/"


def _latest_review(urls: Mapping[str, str], sku: str) -> dict[str, Any] | None:
    path = f"/rest/V1/products/{urllib.parse.quote(str(sku), safe='')}/reviews"
    reviews = _request("GET", _shop(urls) + path, token=shopping_admin_token(urls))
    return reviews[-1] if isinstance(reviews, list) and reviews else None  # WebArena takes the last one


def shopping_get_sku_latest_review_author(urls: Mapping[str, str], sku: str) -> str:
    review = _latest_review(urls, sku)
    return "" if review is None else str(review["nickname"])


def shopping_get_sku_latest_review_rating(urls: Mapping[str, str], sku: str) -> str:
    review = _latest_review(urls, sku)
    return "" if review is None else str(review["ratings"][0]["percent"])


def reddit_get_post_url(urls: Mapping[str, str], url: str) -> str:
    """`…/f/forum/123/…` becomes `…/f/forum/123/`; any other URL is returned as it is."""
    parts = urllib.parse.urlparse(url)
    segments = parts.path.split("/")
    if len(segments) < 4 or segments[1] != "f":
        return url
    return f"{parts.scheme}://{parts.netloc}/f/{segments[2]}/{segments[3]}/"


_MEMBER_ROLE_JS = """account => {
  const names = [...document.querySelectorAll("td[data-label='Account'] span.gl-avatar-labeled-sublabel")];
  const index = names.findIndex(el => el.outerText === '@' + account);
  return document.querySelectorAll('td.col-max-role span')[index].outerText;
}"""


def gitlab_get_project_memeber_role(urls: Mapping[str, str], page: Any, account_name: str) -> str:
    """The role shown for @ACCOUNT_NAME on the open project members page ("" when it is not there).

    The name keeps WebArena's spelling, since task configs call it by that name."""
    try:
        return str(page.evaluate(_MEMBER_ROLE_JS, account_name))
    except Exception:  # WebArena reads any failure as no role
        return ""


WEBARENA_HELPERS: dict[str, Callable[..., Any]] = {
    fn.__name__: fn
    for fn in (
        shopping_get_latest_order_url,
        shopping_get_sku_latest_review_author,
        shopping_get_sku_latest_review_rating,
        reddit_get_post_url,
        gitlab_get_project_memeber_role,
    )
}
