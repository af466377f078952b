"""The bundled sites give the agent no shortcuts: harness endpoints need the harness key, sessions cannot be
forged, `next=` stays on the site, bodies and numbers are bounded, sockets time out."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import socket
import urllib.error
import urllib.parse
import urllib.request

import pytest

from envs.web.sites import start_sites
from envs.web.sites.base import HARNESS_HEADER, MAX_BODY, _Handler, harness_headers
from envs.web.sites.launcher import login_cookie
from envs.web.sites.shop import ACCOUNTS, ShopApp

pytestmark = pytest.mark.timeout(60)


def _status(url: str, method: str = "GET", headers: dict | None = None) -> int:
    request = urllib.request.Request(url, data=b"" if method == "POST" else None, method=method)
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def _raw(base: str, request: bytes, timeout: float = 10) -> bytes:
    parts = urllib.parse.urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def _post(base: str, path: str, form: dict, cookie: dict | None = None) -> http.client.HTTPResponse:
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if cookie:
        headers["Cookie"] = f"{cookie['name']}={cookie['value']}"
    conn.request("POST", path, urllib.parse.urlencode(form), headers)
    resp = conn.getresponse()
    resp.body = resp.read()
    conn.close()
    return resp


def test_harness_endpoints_answer_only_the_harness_key(bundled_sites):
    shop, forum = bundled_sites.urls["shopping"], bundled_sites.urls["reddit"]
    for url in (f"{shop}/__api/latest_order?user=alex", f"{forum}/__api/latest_post?user=marlow_reads"):
        assert _status(url) == 404  # what the agent's browser gets: as if there were no such page
        assert _status(url, headers={HARNESS_HEADER: "guess"}) == 404
        assert _status(url, headers=harness_headers()) == 200
    assert _status(f"{shop}/__reset", "POST") == 404
    assert _status(f"{shop}/__reset", "POST", harness_headers()) == 200


def test_session_secret_is_random_per_launch_so_the_old_source_key_forges_nothing(bundled_sites):
    one, two = ShopApp(), ShopApp()
    assert one.sign("admin", "admin", "n") != two.sign("admin", "admin", "n")
    # The key the source used to hold: signing admin:admin with it gave full admin access.
    mac = hmac.new(b"agent-rl-bundled-sites:shop", b"admin:admin", hashlib.sha256).hexdigest()[:32]
    parts = urllib.parse.urlsplit(bundled_sites.urls["shopping"])
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", "/admin", headers={"Cookie": f"shop_admin_session=admin.{mac}"})
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 303 and resp.getheader("Location").startswith("/admin/login")


@pytest.mark.parametrize(
    ("nxt", "location"),
    [
        ("/x\r\nSet-Cookie: evil=1", "/xSet-Cookie: evil=1"),
        ("/\\evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("//evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/orders", "/orders"),
    ],
)
def test_login_next_stays_on_the_site_and_injects_no_header(bundled_sites, nxt, location):
    account = ACCOUNTS["shopping"]
    resp = _post(
        bundled_sites.urls["shopping"],
        "/login",
        {"username": account["username"], "password": account["password"], "next": nxt},
    )
    assert resp.status == 303 and resp.getheader("Location") == location
    assert not any("evil" in value for key, value in resp.getheaders() if key.lower() == "set-cookie")


@pytest.mark.parametrize("length", ["abc", "-5", str(MAX_BODY + 1), str(10**30)])
def test_bad_or_huge_content_length_gets_400(bundled_sites, length):
    reply = _raw(
        bundled_sites.urls["shopping"],
        f"POST /login HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\nusername=a".encode(),
    )
    assert reply.startswith(b"HTTP/1.1 400") and b"Content-Length" in reply


def test_a_stalled_client_is_timed_out(monkeypatch):
    monkeypatch.setattr(_Handler, "timeout", 0.5)
    with start_sites(["wiki"]) as sites:
        parts = urllib.parse.urlsplit(sites.urls["wikipedia"])
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # never finishes its headers
            assert sock.recv(100) == b""  # the server hung up after its socket timeout, not after ours


@pytest.mark.parametrize(("field", "value"), [("price", "inf"), ("price", "1e400"), ("stock", str(10**30))])
def test_admin_numbers_out_of_range_get_a_form_error(bundled_sites, field, value):
    admin = bundled_sites.urls["shopping_admin"].removesuffix("/admin")
    account = ACCOUNTS["shopping_admin"]
    cookie = login_cookie(admin, account["username"], account["password"], account["login_path"])
    before = dict(bundled_sites.app("shop").one("SELECT * FROM products WHERE sku = 'EL-1004'"))
    form = {"name": before["name"], "price": "10.00", "stock": "3", "enabled": "1", field: value}
    resp = _post(admin, "/admin/products/EL-1004", form, cookie)
    assert resp.status == 400 and b"must be" in resp.body
    assert dict(bundled_sites.app("shop").one("SELECT * FROM products WHERE sku = 'EL-1004'")) == before
