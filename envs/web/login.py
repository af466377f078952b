"""Logging in through a site's own login form, as WebArena's harness does before each task.

WebArena renews the login cookies for every task (`browser_env/auto_login.py`) instead of reusing saved
storage states. `WEBARENA_LOGINS` are its flows for the real containers (the form, its fields, the button and
the benchmark account); `bundled_logins()` are the same kind of flow for the bundled sites. A site with no
flow (Wikipedia, the map, the homepage) needs no login.
"""

from __future__ import annotations

from dataclasses import dataclass

from playwright.async_api import Locator, Page


@dataclass(frozen=True)
class LoginFlow:
    """How to sign in to one site: the form's page, how to find its fields and button, and the account.

    Fields are found as `label=TEXT`, `placeholder=TEXT`, `testid=ID` or `button=NAME` (a button's role name).
    """

    path: str  # the login page, relative to the site's URL
    username_field: str
    password_field: str
    submit: str
    username: str
    password: str

    def url(self, site_url: str) -> str:
        return site_url.rstrip("/") + self.path


WEBARENA_LOGINS = {
    "shopping": LoginFlow(
        "/customer/account/login/",
        "label=Email",
        "label=Password",
        "button=Sign In",
        "emma.lopez@gmail.com",
        "Password.123",
    ),  # fmt: skip
    "shopping_admin": LoginFlow(
        "", "placeholder=user name", "placeholder=password", "button=Sign in", "admin", "admin1234"
    ),
    "reddit": LoginFlow(
        "/login", "label=Username", "label=Password", "button=Log in", "MarvelsGrantMan136", "test1234"
    ),
    "gitlab": LoginFlow(
        "/users/sign_in",
        "testid=username-field",
        "testid=password-field",
        "testid=sign-in-button",
        "byteblaze",
        "hello1234",
    ),  # fmt: skip
}


def bundled_logins() -> dict[str, LoginFlow]:
    """The bundled sites' login forms, one flow per URL key (shopping, shopping_admin, reddit, wikipedia)."""
    from envs.web.sites.launcher import ALIASES, URL_KEYS, accounts

    flows = {}
    for key, account in accounts().items():
        prefix = URL_KEYS[ALIASES[key]][key]  # the admin's URL ends in /admin, and so does its login path
        flows[key] = LoginFlow(
            account["login_path"].removeprefix(prefix),
            "label=Username or email",
            "label=Password",
            "button=Sign in",
            account["username"],
            account["password"],
        )
    return flows


def login_flows(kind: str) -> dict[str, LoginFlow]:
    return bundled_logins() if kind == "bundled" else dict(WEBARENA_LOGINS)


def locate(page: Page, spec: str) -> Locator:
    how, _, what = spec.partition("=")
    if how == "label":
        return page.get_by_label(what, exact=True)
    if how == "placeholder":
        return page.get_by_placeholder(what)
    if how == "testid":
        return page.get_by_test_id(what)
    if how == "button":
        return page.get_by_role("button", name=what)
    raise ValueError(f"unknown field locator {spec!r}")


async def fill_and_submit(page: Page, flow: LoginFlow, site_url: str, timeout_ms: float) -> None:
    """Open the login form and submit the account; the caller waits for the navigation it sets off."""
    await page.goto(flow.url(site_url), wait_until="load", timeout=timeout_ms)
    await locate(page, flow.username_field).fill(flow.username, timeout=timeout_ms)
    await locate(page, flow.password_field).fill(flow.password, timeout=timeout_ms)
    await locate(page, flow.submit).click(timeout=timeout_ms)
