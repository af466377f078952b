"""The bundled sites: real HTTP servers on free ports, logins, reset, deterministic seeds, storage states, CLI."""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from agent_rl.errors import UserError
from envs.web.sites import cli as sites_cli
from envs.web.sites import http_reset, start_sites
from envs.web.sites.base import harness_key
from envs.web.sites.launcher import login_cookie
from envs.web.sites.shop import ShopApp
from envs.web.sites.wiki import WikiApp


def fetch(url: str, cookie: str = "") -> tuple[int, str]:
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def post(url: str, form: dict[str, str], cookie: str = "") -> http.client.HTTPResponse:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    headers = {"Content-Type": "application/x-www-form-urlencoded", **({"Cookie": cookie} if cookie else {})}
    conn.request("POST", parts.path, urllib.parse.urlencode(form), headers)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp


def dump(conn) -> list:
    return list(conn.iterdump())


def test_sites_serve_pages_on_free_ports(bundled_sites):
    urls = bundled_sites.urls
    assert set(urls) == {"shopping", "shopping_admin", "reddit", "wikipedia", "homepage"}
    assert (
        len({urllib.parse.urlsplit(u).port for u in urls.values()}) == 4
    )  # shop and its admin share a server
    assert bundled_sites.env_vars()["SHOPPING_ADMIN"] == urls["shopping"] + "/admin"
    assert set(bundled_sites.descriptions()) == {"shopping", "shopping_admin", "reddit", "wikipedia"}
    for key, path, text in [
        ("shopping", "/search?q=Yoga", "Yoga Mat"),
        ("reddit", "/forums", "f/gaming"),
        ("wikipedia", "/wiki/Special:AllPages", "Province"),
        ("homepage", "/", urls["reddit"]),
    ]:
        status, body = fetch(urls[key] + path)
        assert status == 200 and text in body, (key, path)
    assert json.loads(fetch(urls["reddit"] + "/__health")[1]) == {"ok": True, "site": "forum"}
    assert fetch(urls["wikipedia"] + "/wiki/No_such_page")[0] == 404


def test_login_sets_a_session_cookie_and_rejects_a_wrong_password(bundled_sites):
    shop = bundled_sites.urls["shopping"]
    assert post(shop + "/login", {"username": "alex.rivera@example.com", "password": "nope"}).status == 401
    cookie = login_cookie(shop, "alex.rivera@example.com", "Shop.Pass123")
    header = f"{cookie['name']}={cookie['value']}"
    status, body = fetch(shop + "/orders", header)
    assert status == 200 and "Order #" in body and "Signed in as" in body
    status, body = fetch(shop + "/admin", header)  # a customer is no admin: sent to the admin login
    assert "Sign in" in body and "Lifetime sales" not in body
    forged = header[:-4] + "0000"
    assert "Sign in" in fetch(shop + "/orders", forged)[1]
    with pytest.raises(UserError, match="could not sign in"):
        login_cookie(shop, "admin", "wrong", "/admin/login")


def test_reset_restores_the_seed_state_after_an_order(bundled_sites):
    shop = bundled_sites.urls["shopping"]
    app = bundled_sites.app("shopping")
    before = dump(app.db)
    cookie = login_cookie(shop, "alex.rivera@example.com", "Shop.Pass123")
    header = f"{cookie['name']}={cookie['value']}"
    try:
        assert post(shop + "/cart/add", {"sku": "EL-1002", "qty": "1"}, header).status == 303
        resp = post(
            shop + "/checkout",
            {
                "ship_name": "A R",
                "street": "1 Main St",
                "city": "Austin",
                "zip": "73301",
                "shipping": "express",
            },
            header,
        )
        assert resp.status == 303 and resp.getheader("Location").startswith("/orders/")
        status, body = fetch(shop + resp.getheader("Location"), header)
        assert status == 200 and "Pending" in body and "Express shipping" in body
        assert dump(app.db) != before
    finally:
        http_reset(bundled_sites.urls["shopping_admin"])  # POST /__reset at the server's origin
    assert dump(app.db) == before
    assert fetch(shop + resp.getheader("Location"), header)[0] == 404


def test_seed_generator_is_deterministic():
    assert dump(ShopApp.build_database(0)) == dump(ShopApp.build_database(0))
    assert dump(WikiApp.build_database(3)) == dump(WikiApp.build_database(3))
    assert dump(WikiApp.build_database(0)) != dump(WikiApp.build_database(1))


def test_user_text_is_escaped(bundled_sites):
    forum = bundled_sites.urls["reddit"]
    cookie = login_cookie(forum, "marlow_reads", "Forum.Pass123")
    header = f"{cookie['name']}={cookie['value']}"
    try:
        resp = post(forum + "/f/books/submit", {"title": "<script>alert(1)</script>", "body": "x"}, header)
        body = fetch(forum + resp.getheader("Location"), header)[1]
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>" not in body
    finally:
        bundled_sites.reset("reddit")


def test_storage_state_file_signs_a_browser_in(bundled_sites, bundled_auth_dir):
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
    state = json.loads((bundled_auth_dir / "reddit_state.json").read_text())
    assert state["cookies"][0]["name"] == "forum_session" and state["origins"] == []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        try:
            signed_in = browser.new_context(storage_state=str(bundled_auth_dir / "all_state.json"))
            page = signed_in.new_page()
            page.goto(bundled_sites.urls["shopping_admin"])
            assert page.get_by_text("Lifetime sales").count() == 1
            page.goto(bundled_sites.urls["reddit"])
            assert page.get_by_role("link", name="marlow_reads", exact=True).count() >= 1
            anonymous = browser.new_context().new_page()
            anonymous.goto(bundled_sites.urls["shopping"] + "/orders")
            assert "/login" in anonymous.url
        finally:
            browser.close()


def test_start_sites_with_a_base_port_and_a_subset():
    with start_sites("wiki", port=0) as first:
        port = urllib.parse.urlsplit(first.urls["wikipedia"]).port
    with start_sites(["wikipedia"], port=port) as sites:  # the port is free again after stop()
        assert sites.urls["wikipedia"] == f"http://127.0.0.1:{port}"
        assert set(sites.urls) == {"wikipedia", "homepage"}
        with pytest.raises(UserError, match="cannot serve"):
            start_sites("wiki", port=port)
    with pytest.raises(UserError, match="unknown site"):
        start_sites("gitlab")


def test_sites_serve_cli_prints_urls_and_env_lines(capsys, tmp_path):
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers()
    sites_cli.register(lambda verb, noun, help: commands.add_parser(noun, help=help))
    args = parser.parse_args(["serve", "--sites", "forum", "--auth-dir", str(tmp_path)])
    stop = threading.Event()
    runner = threading.Thread(target=sites_cli.main, args=(args, stop))
    runner.start()
    deadline = time.time() + 20
    while not (tmp_path / "all_state.json").exists():
        assert time.time() < deadline, "sites serve did not start"
        time.sleep(0.05)
    time.sleep(0.2)  # let it print the export lines
    stop.set()
    runner.join(timeout=10)
    out = capsys.readouterr().out
    assert "export REDDIT=http://127.0.0.1:" in out and "export HOMEPAGE=" in out and "Ctrl-C" in out
    assert f"export AGENT_RL_SITES_KEY={harness_key()}" in out  # a harness in another shell can reset them
    assert (tmp_path / "reddit_state.json").exists()
