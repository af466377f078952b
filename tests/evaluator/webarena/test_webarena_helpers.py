"""WebArena's `func:` helpers against a Magento-shaped REST server on loopback: the admin-token flow, the
latest order and a SKU's latest review, and Postmill post URLs by their shape."""

import http.server
import json
import threading
from urllib.parse import parse_qs, urlsplit

import pytest

from agent_rl.errors import UserError
from evaluator.webarena.helpers import WEBARENA_HELPERS, HelperError, call_helper

TOKEN = "tok-123"


class Magento(http.server.BaseHTTPRequestHandler):
    seen: list = []

    def log_message(self, *args):
        pass

    def _send(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append(("POST", self.path, body))
        ok = self.path == "/rest/default/V1/integration/admin/token" and body == {
            "username": "admin",
            "password": "admin1234",
        }
        self._send(200 if ok else 401, TOKEN if ok else {"message": "bad login"})

    def do_GET(self):
        parts = urlsplit(self.path)
        self.seen.append(("GET", self.path, self.headers.get("Authorization")))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(401, {"message": "unauthorised"})
        if parts.path == "/rest/V1/orders":
            query = parse_qs(parts.query)
            newest_first = query.get("searchCriteria[sortOrders][0][direction]") == ["DESC"]
            items = [{"increment_id": "000000190"}, {"increment_id": "000000012"}]
            return self._send(200, {"items": items if newest_first else items[::-1]})
        if parts.path == "/rest/V1/products/B0-1/reviews":
            reviews = [
                {"nickname": "Old", "ratings": [{"rating_name": "Rating", "percent": 40}]},
                {"nickname": "Newest", "ratings": [{"rating_name": "Rating", "percent": 80}]},
            ]
            return self._send(200, reviews)
        if parts.path.endswith("/reviews"):
            return self._send(200, [])
        self._send(404, {"message": "no such route"})


@pytest.fixture(scope="module")
def shop():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Magento)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"SHOPPING": f"http://127.0.0.1:{server.server_address[1]}"}
    server.shutdown()


def test_latest_order_url_uses_an_admin_token_and_the_newest_order(shop):
    Magento.seen.clear()
    url = call_helper("func:shopping_get_latest_order_url()", WEBARENA_HELPERS, shop)
    assert url == f"{shop['SHOPPING']}/sales/order/view/order_id/190/"
    assert Magento.seen[0] == (
        "POST",
        "/rest/default/V1/integration/admin/token",
        {"username": "admin", "password": "admin1234"},
    )
    assert Magento.seen[1][2] == f"Bearer {TOKEN}"


def test_latest_review_author_and_rating_are_the_last_review(shop):
    author = "func:shopping_get_sku_latest_review_author('B0-1')"
    rating = "func:shopping_get_sku_latest_review_rating('B0-1')"
    assert call_helper(author, WEBARENA_HELPERS, shop) == "Newest"
    assert call_helper(rating, WEBARENA_HELPERS, shop) == "80"
    assert call_helper("func:shopping_get_sku_latest_review_author('NONE')", WEBARENA_HELPERS, shop) == ""


def test_a_refused_login_is_a_helper_error(shop, monkeypatch):
    monkeypatch.setenv("SHOPPING_ADMIN_PASSWORD", "wrong")
    with pytest.raises(HelperError, match="401"):
        call_helper("func:shopping_get_latest_order_url()", WEBARENA_HELPERS, shop)


def test_reddit_post_url_by_shape():
    helper = "func:reddit_get_post_url('http://forum/f/news/12/comment/3')"
    assert call_helper(helper, WEBARENA_HELPERS, {}) == "http://forum/f/news/12/"
    assert call_helper("func:reddit_get_post_url('http://forum/user/x')", WEBARENA_HELPERS, {}) == (
        "http://forum/user/x"
    )


def test_unknown_helpers_and_code_are_refused():
    with pytest.raises(UserError, match="unknown program_html helper"):
        call_helper("func:os_system('true')", WEBARENA_HELPERS, {})
    with pytest.raises(UserError, match="literals"):
        call_helper("func:reddit_get_post_url(open('/etc/passwd').read())", WEBARENA_HELPERS, {})
