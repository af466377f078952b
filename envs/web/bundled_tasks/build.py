"""Author the bundled WebArena-format tasks and their scripted oracle solutions from the sites' seed data.

    python -m envs.web.bundled_tasks.build      # rewrites bundled.raw.json and oracles.json beside this file

Every answer is read from the same seeded databases the servers start from, so tasks and sites cannot drift
apart (a test rebuilds both files and compares). Oracle actions follow `envs/web/oracles.py`.

Tasks that change a site set `require_reset` and touch rows that no read-only task reads.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from envs.web.sites.base import money
from envs.web.sites.forum import ForumApp
from envs.web.sites.shop import ShopApp
from envs.web.sites.wiki import WikiApp

HERE = Path(__file__).parent
TASKS_FILE = HERE / "bundled.raw.json"
ORACLES_FILE = HERE / "oracles.json"
AUTH = {
    "shopping": "./.auth/shopping_state.json",
    "shopping_admin": "./.auth/shopping_admin_state.json",
    "reddit": "./.auth/reddit_state.json",
    "wikipedia": "./.auth/wikipedia_state.json",
    "all": "./.auth/all_state.json",
}

# --- oracle actions -------------------------------------------------------------------------------------------


def goto(url: str) -> dict:
    return {"action": "goto", "url": url}


def click(role: str, name: str) -> dict:
    return {"action": "click", "role": role, "name": name}


def type_(role: str, name: str, text: str, enter: bool = False) -> dict:
    return {"action": "type", "role": role, "name": name, "text": text, "enter": enter}


def stop(answer: str = "") -> dict:
    return {"action": "stop", "answer": answer}


def tab_focus(index: int) -> dict:
    return {"action": "tab_focus", "index": index}


def search(text: str) -> dict:
    return type_("searchbox", "Search", text, enter=True)


def sign_in(username: str, password: str) -> list[dict]:
    return [
        type_("textbox", "Username or email", username),
        type_("textbox", "Password", password),
        click("button", "Sign in"),
    ]


# --- evaluation configs ---------------------------------------------------------------------------------------


def string_match(
    exact: str | None = None,
    must: list[str] | None = None,
    fuzzy: list[str] | str | None = None,
    note: str = "",
) -> dict:
    refs = {
        k: v
        for k, v in [("exact_match", exact), ("must_include", must), ("fuzzy_match", fuzzy)]
        if v is not None
    }
    raw = (
        exact
        if exact is not None
        else ", ".join(must)
        if must
        else fuzzy
        if isinstance(fuzzy, str)
        else fuzzy[0]
    )
    return {
        "eval_types": ["string_match"],
        "reference_answers": refs,
        "reference_url": "",
        "program_html": [],
        "string_note": note,
        "reference_answer_raw_annotation": raw,
    }


def url_match(url: str, note: str = "GOLD in PRED") -> dict:
    return {
        "eval_types": ["url_match"],
        "reference_answers": None,
        "reference_url": url,
        "program_html": [],
        "url_note": note,
    }


def target(url: str, locator: str = "", exact: str | None = None, must: list[str] | None = None) -> dict:
    contents = {"exact_match": exact} if exact is not None else {"must_include": must}
    return {"url": url, "locator": locator, "required_contents": contents}


def program_html(*targets: dict, reference_url: str = "") -> dict:
    types = ["url_match", "program_html"] if reference_url else ["program_html"]
    return {
        "eval_types": types,
        "reference_answers": None,
        "reference_url": reference_url,
        "program_html": list(targets),
        "url_note": "GOLD in PRED" if reference_url else "",
    }


class Builder:
    def __init__(self) -> None:
        self.tasks: list[dict] = []
        self.oracles: dict[str, list[dict]] = {}
        self.templates: dict[str, int] = {}

    def add(
        self,
        sites: list[str],
        template: str,
        values: dict[str, Any],
        start: str,
        ev: dict,
        oracle: list[dict],
        login: str | None = None,
        reset: bool = False,
    ) -> None:
        intent = template
        for key, value in values.items():
            intent = intent.replace("{{" + key + "}}", str(value))
        task_id = len(self.tasks)
        self.tasks.append(
            {
                "sites": sites,
                "task_id": task_id,
                "require_login": login is not None,
                "storage_state": AUTH[login] if login else None,
                "start_url": start,
                "geolocation": None,
                "intent_template": template,
                "instantiation_dict": values,
                "intent": intent,
                "require_reset": reset,
                "eval": ev,
                "intent_template_id": self.templates.setdefault(template, len(self.templates)),
            }
        )
        assert oracle and oracle[-1]["action"] == "stop", f"task {task_id}: an oracle ends with stop"
        self.oracles[str(task_id)] = oracle


def q(conn: sqlite3.Connection, sql: str, *args: object) -> list[sqlite3.Row]:
    return conn.execute(sql, args).fetchall()


def one(conn: sqlite3.Connection, sql: str, *args: object) -> sqlite3.Row:
    row = conn.execute(sql, args).fetchone()
    assert row is not None, sql
    return row


# --- shop -----------------------------------------------------------------------------------------------------


def shop_tasks(b: Builder) -> None:
    db = ShopApp.build_database(0)
    S, A = "__SHOPPING__", "__SHOPPING_ADMIN__"
    product = lambda sku: one(db, "SELECT * FROM products WHERE sku = ?", sku)  # noqa: E731
    reviews = lambda sku: q(db, "SELECT * FROM reviews WHERE sku = ? ORDER BY created DESC, id DESC", sku)  # noqa: E731
    open_product = lambda p: [search(p["name"]), click("link", p["name"])]  # noqa: E731

    p = product("EL-1004")
    b.add(
        ["shopping"],
        "What is the price of the {{product}}?",
        {"product": p["name"]},
        S,
        string_match(must=[money(p["price"])[1:]]),
        [*open_product(p), stop(money(p["price"]))],
    )
    p = product("HO-1002")
    b.add(
        ["shopping"],
        "What is the SKU of the {{product}}?",
        {"product": p["name"]},
        S,
        string_match(exact=p["sku"]),
        [*open_product(p), stop(p["sku"])],
    )
    p = product("BE-1007")
    b.add(
        ["shopping"],
        "Which brand makes the {{product}}?",
        {"product": p["name"]},
        S,
        string_match(exact=p["brand"]),
        [*open_product(p), stop(p["brand"])],
    )
    p = product("TO-1003")
    b.add(
        ["shopping"],
        "What color is the {{product}}?",
        {"product": p["name"]},
        S,
        string_match(exact=p["color"]),
        [*open_product(p), stop(p["color"])],
    )
    n = one(db, "SELECT COUNT(*) FROM products WHERE category = 'books' AND enabled = 1")[0]
    b.add(
        ["shopping"],
        "How many products are listed in the {{category}} category?",
        {"category": "Books"},
        S,
        string_match(exact=str(n)),
        [click("link", "Books"), stop(str(n))],
    )
    for slug, cname, order, word in [
        ("toys", "Toys", "ASC", "cheapest"),
        ("electronics", "Electronics", "DESC", "most expensive"),
    ]:
        p = one(db, f"SELECT * FROM products WHERE category = ? ORDER BY price {order}, sku LIMIT 1", slug)
        sort = "Price: low to high" if order == "ASC" else "Price: high to low"
        b.add(
            ["shopping"],
            "What is the {{which}} product in the {{category}} category?",
            {"which": word, "category": cname},
            S,
            string_match(must=[p["name"]]),
            [click("link", cname), click("link", sort), stop(p["name"])],
        )
    p = product("SP-1010")
    b.add(
        ["shopping"],
        "How many customer reviews does the {{product}} have?",
        {"product": p["name"]},
        S,
        string_match(exact=str(len(reviews(p["sku"])))),
        [*open_product(p), stop(str(len(reviews(p["sku"]))))],
    )
    p = product("SP-1007")
    r = reviews(p["sku"])[0]
    b.add(
        ["shopping"],
        "Who wrote the most recent review of the {{product}}?",
        {"product": p["name"]},
        S,
        string_match(must=[r["author"]]),
        [*open_product(p), stop(r["author"])],
    )
    p = product("TO-1006")
    r = reviews(p["sku"])[-1]
    b.add(
        ["shopping"],
        "What star rating did the oldest review of the {{product}} give?",
        {"product": p["name"]},
        S,
        string_match(must=[str(r["rating"])]),
        [*open_product(p), stop(str(r["rating"]))],
    )
    n = one(
        db,
        "SELECT COUNT(*) FROM products WHERE enabled = 1 AND (name LIKE '%Northwind%' OR description LIKE "
        "'%Northwind%' OR brand LIKE '%Northwind%' OR sku LIKE '%Northwind%')",
    )[0]
    b.add(
        ["shopping"],
        "How many results does a store search for '{{query}}' return?",
        {"query": "Northwind"},
        S,
        string_match(exact=str(n)),
        [search("Northwind"), stop(str(n))],
    )
    p = product("HO-1006")
    b.add(
        ["shopping"],
        "What is the customer rating of the {{product}}, as shown on its page?",
        {"product": p["name"]},
        S,
        string_match(
            fuzzy=[f"{sum(x['rating'] for x in reviews(p['sku'])) / len(reviews(p['sku'])):.1f} out of 5"]
        ),
        [
            *open_product(p),
            stop(f"{sum(x['rating'] for x in reviews(p['sku'])) / len(reviews(p['sku'])):.1f} out of 5"),
        ],
    )
    b.add(
        ["shopping"],
        "What is the price of the {{product}}?",
        {"product": "Acme Quantum Teleporter"},
        S,
        string_match(fuzzy="N/A", note="The store sells no such product."),
        [search("Quantum Teleporter"), stop("N/A")],
    )

    orders = q(db, "SELECT * FROM orders WHERE username = 'alex' ORDER BY id DESC")
    latest = orders[0]
    b.add(
        ["shopping"],
        "What is the status of my most recent order?",
        {},
        S,
        string_match(exact=latest["status"]),
        [click("link", "My Orders"), stop(latest["status"])],
        login="shopping",
    )
    o = orders[3]
    b.add(
        ["shopping"],
        "What was the grand total of my order #{{order}}?",
        {"order": o["id"]},
        S,
        string_match(must=[money(o["total"])[1:]]),
        [click("link", "My Orders"), click("link", f"Order #{o['id']}"), stop(money(o["total"]))],
        login="shopping",
    )
    n23 = sum(1 for o in orders if o["created"].startswith("2023"))
    b.add(
        ["shopping"],
        "How many orders did I place in {{year}}?",
        {"year": 2023},
        S,
        string_match(exact=str(n23)),
        [click("link", "My Orders"), stop(str(n23))],
        login="shopping",
    )
    o = orders[5]
    items = q(db, "SELECT name FROM order_items WHERE order_id = ?", o["id"])
    b.add(
        ["shopping"],
        "Which products did I buy in order #{{order}}?",
        {"order": o["id"]},
        S,
        string_match(must=[i["name"] for i in items]),
        [goto(f"{S}/orders/{o['id']}"), stop(", ".join(i["name"] for i in items))],
        login="shopping",
    )
    o = orders[2]
    address = f"{o['street']}, {o['city']} {o['zip']}"
    b.add(
        ["shopping"],
        "To which address was my order #{{order}} shipped?",
        {"order": o["id"]},
        S,
        string_match(fuzzy=[address]),
        [goto(f"{S}/orders/{o['id']}"), stop(address)],
        login="shopping",
    )
    user = one(db, "SELECT * FROM users WHERE username = 'alex'")
    b.add(
        ["shopping"],
        "What phone number is saved in my account?",
        {},
        S,
        string_match(exact=user["phone"]),
        [click("link", "My Account"), stop(user["phone"])],
        login="shopping",
    )
    cart = one(
        db, "SELECT p.name FROM cart_items c JOIN products p ON p.sku = c.sku WHERE c.username = 'alex'"
    )
    b.add(
        ["shopping"],
        "Which product is in my shopping cart right now?",
        {},
        S,
        string_match(must=[cart["name"]]),
        [click("link", "My Cart"), stop(cart["name"])],
        login="shopping",
    )
    b.add(
        ["shopping"],
        "When will my order #{{order}} be delivered?",
        {"order": 9999},
        S,
        string_match(fuzzy="N/A", note="There is no order #9999, and the store shows no delivery dates."),
        [click("link", "My Orders"), stop("N/A")],
        login="shopping",
    )
    p = product("SP-1005")
    b.add(
        ["shopping"],
        "Show me the {{category}} category sorted by price from high to low.",
        {"category": "Sports & Outdoors"},
        S,
        url_match(f"{S}/category/sports-outdoors?sort=price_desc"),
        [click("link", "Sports & Outdoors"), click("link", "Price: high to low"), stop()],
    )
    b.add(
        ["shopping"],
        "Open the product page of the {{product}}.",
        {"product": p["name"]},
        S,
        url_match(f"{S}/product/{p['sku']}"),
        [*open_product(p), stop()],
    )
    b.add(
        ["shopping"],
        "Search the store for '{{query}}'.",
        {"query": "yoga"},
        S,
        url_match(f"{S}/search?q=yoga"),
        [search("yoga"), stop()],
    )
    o = orders[4]
    b.add(
        ["shopping"],
        "Open the page of my order #{{order}}.",
        {"order": o["id"]},
        S,
        url_match(f"{S}/orders/{o['id']}"),
        [click("link", "My Orders"), click("link", f"Order #{o['id']}"), stop()],
        login="shopping",
    )
    o = orders[6]
    both = string_match(exact=o["status"]) | {
        "eval_types": ["string_match", "url_match"],
        "reference_url": f"{S}/orders/{o['id']}",
        "url_note": "GOLD in PRED",
    }
    b.add(
        ["shopping"],
        "Open my order #{{order}} and tell me its status.",
        {"order": o["id"]},
        S,
        both,
        [click("link", "My Orders"), click("link", f"Order #{o['id']}"), stop(o["status"])],
        login="shopping",
    )
    a, c = product("BO-1002"), product("BO-1005")
    cheaper = a if a["price"] < c["price"] else c
    b.add(
        ["shopping"],
        "Two product pages are open in tabs. Which of the two products is cheaper?",
        {},
        f"{S}/product/{a['sku']} |AND| {S}/product/{c['sku']}",
        string_match(must=[cheaper["name"]]),
        [tab_focus(1), tab_focus(0), stop(cheaper["name"])],
    )

    # --- changes (require_reset) ---
    p = product("EL-1003")
    b.add(
        ["shopping"],
        "Add {{qty}} of the {{product}} to my cart.",
        {"qty": 2, "product": p["name"]},
        S,
        program_html(
            target(
                f"{S}/cart",
                f"document.querySelector('tr[data-sku=\"{p['sku']}\"] .qty').textContent",
                exact="2",
            )
        ),
        [*open_product(p), type_("spinbutton", "Quantity", "2"), click("button", "Add to Cart"), stop()],
        login="shopping",
        reset=True,
    )
    p = product("HO-1009")
    b.add(
        ["shopping"],
        "Buy the {{product}} with express shipping.",
        {"product": p["name"]},
        S,
        program_html(
            target("func:shopping_get_latest_order_url()", "", must=[p["name"], "Express shipping"]),
            reference_url=f"{S}/orders",
        ),
        [
            *open_product(p),
            click("button", "Add to Cart"),
            click("link", "Proceed to Checkout"),
            click("radio", "Express shipping ($15.00)"),
            click("button", "Place Order"),
            stop(),
        ],
        login="shopping",
        reset=True,
    )
    p = product("BE-1002")
    b.add(
        ["shopping"],
        "Write a {{stars}}-star review of the {{product}} titled '{{title}}' saying '{{text}}'.",
        {"stars": 5, "product": p["name"], "title": "Great value", "text": "Works exactly as described."},
        S,
        program_html(
            target(
                f"{S}/product/{p['sku']}",
                f"func:shopping_get_sku_latest_review_author('{p['sku']}')",
                exact=user["full_name"],
            ),
            target(
                f"{S}/product/{p['sku']}",
                f"func:shopping_get_sku_latest_review_rating('{p['sku']}')",
                exact="5",
            ),
            target(f"{S}/product/{p['sku']}", "", must=["Great value", "Works exactly as described."]),
        ),
        [
            *open_product(p),
            click("radio", "5 stars"),
            type_("textbox", "Review title", "Great value"),
            type_("textbox", "Review", "Works exactly as described."),
            click("button", "Submit Review"),
            stop(),
        ],
        login="shopping",
        reset=True,
    )
    b.add(
        ["shopping"],
        "Change the phone number in my account to {{phone}}.",
        {"phone": "555-010-2024"},
        S,
        program_html(
            target(f"{S}/account", "document.querySelector('.phone').textContent", exact="555-010-2024")
        ),
        [
            click("link", "My Account"),
            click("link", "Edit account information"),
            type_("textbox", "Phone", "555-010-2024"),
            click("button", "Save"),
            stop(),
        ],
        login="shopping",
        reset=True,
    )
    b.add(
        ["shopping"],
        "Change my default address to {{street}}, {{city}} {{zip}}.",
        {"street": "12 Harbor Road", "city": "Seattle", "zip": "98101"},
        S,
        program_html(
            target(
                f"{S}/account",
                "document.querySelector('.address').textContent",
                must=["12 Harbor Road", "Seattle", "98101"],
            )
        ),
        [
            goto(f"{S}/account/edit"),
            type_("textbox", "Street address", "12 Harbor Road"),
            type_("textbox", "City", "Seattle"),
            type_("textbox", "ZIP code", "98101"),
            click("button", "Save"),
            stop(),
        ],
        login="shopping",
        reset=True,
    )
    b.add(
        ["shopping"],
        "Empty my shopping cart.",
        {},
        S,
        program_html(target(f"{S}/cart", "", must=["Your cart is empty"])),
        [click("link", "My Cart"), click("button", f"Remove {cart['name']}"), stop()],
        login="shopping",
        reset=True,
    )

    # --- admin ---
    pending = one(db, "SELECT COUNT(*) FROM orders WHERE status = 'Pending'")[0]
    b.add(
        ["shopping_admin"],
        "How many orders are pending?",
        {},
        A,
        string_match(exact=str(pending)),
        [stop(str(pending))],
        login="shopping_admin",
    )
    revenue = one(db, "SELECT SUM(total) FROM orders WHERE status != 'Canceled'")[0]
    b.add(
        ["shopping_admin"],
        "What are the store's lifetime sales?",
        {},
        A,
        string_match(must=[money(revenue)[1:]]),
        [stop(money(revenue))],
        login="shopping_admin",
    )
    best = ShopApp.bestsellers(_Rows(db), 2)
    b.add(
        ["shopping_admin"],
        "Which product has sold the most units?",
        {},
        A,
        string_match(must=[best[0]["name"]]),
        [click("link", "Bestsellers report"), stop(best[0]["name"])],
        login="shopping_admin",
    )
    b.add(
        ["shopping_admin"],
        "How many units of the {{product}} have been sold?",
        {"product": best[1]["name"]},
        A,
        string_match(exact=str(best[1]["qty"])),
        [click("link", "Bestsellers report"), stop(str(best[1]["qty"]))],
        login="shopping_admin",
    )
    cust = one(db, "SELECT * FROM users WHERE username = 'priya2'")
    b.add(
        ["shopping_admin"],
        "What is the email address of the customer {{name}}?",
        {"name": cust["full_name"]},
        A,
        string_match(exact=cust["email"]),
        [click("link", "Customers"), click("link", cust["full_name"]), stop(cust["email"])],
        login="shopping_admin",
    )
    cust = one(db, "SELECT * FROM users WHERE username = 'liam6'")
    n = one(db, "SELECT COUNT(*) FROM orders WHERE username = ?", cust["username"])[0]
    b.add(
        ["shopping_admin"],
        "How many orders has {{name}} placed?",
        {"name": cust["full_name"]},
        A,
        string_match(exact=str(n)),
        [click("link", "Customers"), stop(str(n))],
        login="shopping_admin",
    )
    cust = one(db, "SELECT * FROM users WHERE username = 'hana9'")
    b.add(
        ["shopping_admin"],
        "In which city does the customer {{name}} live?",
        {"name": cust["full_name"]},
        A,
        string_match(exact=cust["city"]),
        [click("link", "Customers"), stop(cust["city"])],
        login="shopping_admin",
    )
    b.add(
        ["shopping_admin"],
        "Show all canceled orders.",
        {},
        A,
        url_match(f"{A}/orders?status=Canceled"),
        [click("link", "Orders"), click("link", "Canceled"), stop()],
        login="shopping_admin",
    )
    p = product("EL-1008")
    b.add(
        ["shopping_admin"],
        "Open the admin edit page of the product with SKU {{sku}}.",
        {"sku": p["sku"]},
        A,
        url_match(f"{A}/products/{p['sku']}"),
        [
            click("link", "Products"),
            type_("textbox", "Filter products", p["sku"], enter=True),
            click("link", p["name"]),
            stop(),
        ],
        login="shopping_admin",
    )
    p = product("EL-1006")
    b.add(
        ["shopping_admin"],
        "Change the price of the {{product}} to ${{price}}.",
        {"product": p["name"], "price": "49.99"},
        A,
        program_html(
            target(f"{A}/products/{p['sku']}", "document.querySelector('#price').value", exact="49.99")
        ),
        [
            goto(f"{A}/products/{p['sku']}"),
            type_("textbox", "Price", "49.99"),
            click("button", "Save Product"),
            stop(),
        ],
        login="shopping_admin",
        reset=True,
    )
    p = product("HO-1008")
    b.add(
        ["shopping_admin", "shopping"],
        "Disable the product {{product}} so that customers can no longer see it.",
        {"product": p["name"]},
        A,
        program_html(
            target(
                f"{A}/products/{p['sku']}",
                "document.querySelector('#status-0').checked",
                exact="true",
            ),
            target(f"{S}/product/{p['sku']}", "", must=["Product not found"]),
        ),
        [
            click("link", "Products"),
            click("link", p["name"]),
            click("radio", "Disabled"),
            click("button", "Save Product"),
            stop(),
        ],
        login="all",
        reset=True,
    )
    p = product("TO-1009")
    b.add(
        ["shopping_admin", "shopping"],
        "Set the stock of the {{product}} to 0.",
        {"product": p["name"]},
        A,
        program_html(target(f"{S}/product/{p['sku']}", "", must=["Out of stock"])),
        [
            goto(f"{A}/products/{p['sku']}"),
            type_("textbox", "Stock quantity", "0"),
            click("button", "Save Product"),
            stop(),
        ],
        login="all",
        reset=True,
    )
    o = one(db, "SELECT * FROM orders WHERE status = 'Pending' ORDER BY id LIMIT 1")
    b.add(
        ["shopping_admin"],
        "Mark order #{{order}} as shipped.",
        {"order": o["id"]},
        A,
        program_html(
            target(
                f"{A}/orders/{o['id']}",
                "document.querySelector('.order-status').textContent",
                exact="Shipped",
            )
        ),
        [
            click("link", "Orders"),
            click("link", f"#{o['id']}"),
            click("radio", "Shipped"),
            click("button", "Update Status"),
            stop(),
        ],
        login="shopping_admin",
        reset=True,
    )
    o = one(db, "SELECT * FROM orders WHERE status = 'Processing' ORDER BY id DESC LIMIT 1")
    note = "Customer called about the delivery date."
    b.add(
        ["shopping_admin"],
        "Add the comment '{{comment}}' to order #{{order}}.",
        {"comment": note, "order": o["id"]},
        A,
        program_html(
            target(
                f"{A}/orders/{o['id']}", "document.querySelector('.order-comment').textContent", must=[note]
            )
        ),
        [
            goto(f"{A}/orders/{o['id']}"),
            type_("textbox", "Comment", note),
            click("button", "Add Comment"),
            stop(),
        ],
        login="shopping_admin",
        reset=True,
    )
    r = one(
        db,
        "SELECT r.*, p.name FROM reviews r JOIN products p ON p.sku = r.sku WHERE r.rating = 1 ORDER BY r.id "
        "LIMIT 1",
    )
    left = len(reviews(r["sku"])) - 1
    b.add(
        ["shopping_admin", "shopping"],
        "Delete review #{{review}} (a 1-star review of the {{product}}).",
        {"review": r["id"], "product": r["name"]},
        A,
        program_html(
            target(
                f"{S}/product/{r['sku']}",
                "document.querySelector('main dl').innerText",
                must=[f"({left} reviews)" if left else "No reviews yet"],
            )
        ),
        [click("link", "Reviews"), click("button", f"Delete review {r['id']}"), stop()],
        login="all",
        reset=True,
    )


class _Rows:
    """Lets the build call a ShopApp query method on the pristine database."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def all(self, sql: str, *args: object) -> list[sqlite3.Row]:
        return q(self.conn, sql, *args)


# --- forum ----------------------------------------------------------------------------------------------------


def forum_tasks(b: Builder) -> None:
    db = ForumApp.build_database(0)
    R = "__REDDIT__"
    posts = {p["id"]: p for p in q(db, f"{ForumApp.POST_SQL}")}
    open_post = lambda p: [search(p["title"]), click("link", p["title"])]  # noqa: E731

    p = posts[12]
    b.add(
        ["reddit"],
        "How many comments does the post '{{title}}' have?",
        {"title": p["title"]},
        R,
        string_match(exact=str(p["n_comments"])),
        [*open_post(p), stop(str(p["n_comments"]))],
    )
    p = posts[27]
    b.add(
        ["reddit"],
        "Who submitted the post '{{title}}'?",
        {"title": p["title"]},
        R,
        string_match(exact=p["author"]),
        [*open_post(p), stop(p["author"])],
    )
    top = one(db, "SELECT * FROM forums ORDER BY subscribers DESC LIMIT 1")
    b.add(
        ["reddit"],
        "Which forum has the most subscribers?",
        {},
        R,
        string_match(must=[top["name"]]),
        [click("link", "Forums"), stop(f"f/{top['name']}")],
    )
    f = one(db, "SELECT * FROM forums WHERE name = 'travel'")
    b.add(
        ["reddit"],
        "How many subscribers does f/{{forum}} have?",
        {"forum": "travel"},
        R,
        string_match(exact=str(f["subscribers"])),
        [click("link", "Forums"), stop(str(f["subscribers"]))],
    )
    for forum, sort, word in [("gaming", "top", "highest-scoring"), ("science", "new", "newest")]:
        ranked = sorted(
            (p for p in posts.values() if p["forum"] == forum),
            key=(lambda p: (-p["score"], p["id"])) if sort == "top" else (lambda p: (p["created"], p["id"])),
            reverse=sort == "new",
        )
        p = ranked[0]
        b.add(
            ["reddit"],
            "What is the title of the {{which}} post in f/{{forum}}?",
            {"which": word, "forum": forum},
            R,
            string_match(must=[p["title"]]),
            [
                click("link", "Forums"),
                click("link", f"f/{forum}"),
                click("link", sort.capitalize()),
                stop(p["title"]),
            ],
        )
    u = one(db, "SELECT * FROM users WHERE username = 'paper_crane'")
    b.add(
        ["reddit"],
        "What does the user {{user}} say about themselves in their biography?",
        {"user": u["username"]},
        R,
        string_match(fuzzy=[u["bio"]]),
        [goto(f"{R}/user/{u['username']}"), stop(u["bio"])],
    )
    n = one(db, "SELECT COUNT(*) FROM posts WHERE author = 'quietfox'")[0]
    b.add(
        ["reddit"],
        "How many posts has {{user}} submitted?",
        {"user": "quietfox"},
        R,
        string_match(exact=str(n)),
        [goto(f"{R}/user/quietfox"), stop(str(n))],
    )
    p = posts[44]
    c = one(db, "SELECT COUNT(*) FROM comments WHERE post_id = 44 AND parent_id IS NOT NULL")[0]
    b.add(
        ["reddit"],
        "How many of the comments on '{{title}}' are replies to other comments?",
        {"title": p["title"]},
        R,
        string_match(exact=str(c)),
        [*open_post(p), stop(str(c))],
    )
    b.add(
        ["reddit"],
        "What is the karma of the user {{user}}?",
        {"user": "ghost_rider_99"},
        R,
        string_match(fuzzy="N/A", note="No such user exists, and the forum shows no karma."),
        [goto(f"{R}/user/ghost_rider_99"), stop("N/A")],
    )
    b.add(
        ["reddit"],
        "Open the forum about cooking.",
        {},
        R,
        url_match(f"{R}/f/cooking"),
        [click("link", "Forums"), click("link", "f/cooking"), stop()],
    )
    b.add(
        ["reddit"],
        "Show the newest posts in f/{{forum}}.",
        {"forum": "music"},
        R,
        url_match(f"{R}/f/music?sort=new"),
        [click("link", "Forums"), click("link", "f/music"), click("link", "New"), stop()],
    )
    p = posts[31]
    b.add(
        ["reddit"],
        "Open the user page of the author of '{{title}}'.",
        {"title": p["title"]},
        R,
        url_match(f"{R}/user/{p['author']}"),
        [*open_post(p), click("link", p["author"]), stop()],
    )
    p = posts[50]
    b.add(
        ["reddit"],
        "Find the post '{{title}}'.",
        {"title": p["title"]},
        R,
        url_match(f"{R}/f/{p['forum']}/{p['id']}"),
        [*open_post(p), stop()],
    )

    # --- changes ---
    me = ACCOUNT_FORUM
    p = posts[8]
    b.add(
        ["reddit"],
        "Upvote the post '{{title}}'.",
        {"title": p["title"]},
        R,
        program_html(
            target(
                f"{R}/f/{p['forum']}/{p['id']}",
                "document.querySelector('#post-score').textContent",
                exact=f"{p['score'] + 1} points",
            )
        ),
        [*open_post(p), click("button", "Upvote"), stop()],
        login="reddit",
        reset=True,
    )
    p = posts[21]
    b.add(
        ["reddit"],
        "Open the post '{{title}}' and downvote it.",
        {"title": p["title"]},
        R,
        program_html(
            target(
                "func:reddit_get_post_url('__last_url__')",
                "document.querySelector('button[aria-pressed=\"true\"]').textContent",
                exact="Downvote",
            )
        ),
        [*open_post(p), click("button", "Downvote"), stop()],
        login="reddit",
        reset=True,
    )
    p = posts[15]
    text = "Thanks, this helped a lot!"
    b.add(
        ["reddit"],
        "Reply to the post '{{title}}' with the comment '{{comment}}'.",
        {"title": p["title"], "comment": text},
        R,
        program_html(
            target(
                f"{R}/f/{p['forum']}/{p['id']}",
                "document.querySelector('section[aria-label=\"Comments\"]').innerText",
                must=[text],
            ),
            target(f"{R}/user/{me}", "", must=[text]),
        ),
        [*open_post(p), type_("textbox", "Comment", text), click("button", "Post comment"), stop()],
        login="reddit",
        reset=True,
    )
    title, body = "Favourite novels set in lighthouses?", "Looking for atmospheric reads for the winter."
    b.add(
        ["reddit"],
        "Create a post in f/{{forum}} titled '{{title}}' with the text '{{body}}'.",
        {"forum": "books", "title": title, "body": body},
        R,
        program_html(
            target(f"func:reddit_get_latest_post_url('{me}')", "", must=[title, body]),
            target(
                f"func:reddit_get_latest_post_url('{me}')",
                "document.querySelector('main p.muted').innerText",
                must=["f/books"],
            ),
        ),
        [
            goto(f"{R}/f/books"),
            click("link", "Submit a new post"),
            type_("textbox", "Title", title),
            type_("textbox", "Body", body),
            click("button", "Create post"),
            stop(),
        ],
        login="reddit",
        reset=True,
    )
    bio = "Bookworm and amateur astronomer."
    b.add(
        ["reddit"],
        "Change my biography to '{{bio}}'.",
        {"bio": bio},
        R,
        program_html(target(f"{R}/user/{me}", "document.querySelector('.bio').textContent", exact=bio)),
        [
            click("link", me),
            click("link", "Edit biography"),
            type_("textbox", "Biography", bio),
            click("button", "Save"),
            stop(),
        ],
        login="reddit",
        reset=True,
    )
    mine = q(db, "SELECT id FROM posts WHERE author = ? ORDER BY created", me)
    p = posts[mine[0]["id"]]
    b.add(
        ["reddit"],
        "Delete my post '{{title}}'.",
        {"title": p["title"]},
        R,
        program_html(
            target(
                f"{R}/user/{me}",
                "document.querySelectorAll('section[aria-label=\"Posts\"] li').length",
                exact=str(len(mine) - 1),
            )
        ),
        [*open_post(p), click("button", "Delete post"), stop()],
        login="reddit",
        reset=True,
    )


ACCOUNT_FORUM = "marlow_reads"

# --- wiki -----------------------------------------------------------------------------------------------------


def wiki_tasks(b: Builder) -> None:
    db = WikiApp.build_database(0)
    W = "__WIKIPEDIA__"
    fact = lambda title, key: one(db, "SELECT * FROM facts WHERE title = ? AND key = ?", title, key)  # noqa: E731
    kinds = {
        k: [r["title"] for r in q(db, "SELECT title FROM articles WHERE kind = ? ORDER BY title", k)]
        for k in ("city", "river", "mountain", "province", "person")
    }
    slug = lambda t: t.replace(" ", "_")  # noqa: E731
    open_article = lambda t: [search(t), click("link", t)]  # noqa: E731
    city = kinds["city"]

    b.add(
        ["wikipedia"],
        "What is the population of {{city}}?",
        {"city": city[1]},
        W,
        string_match(must=[fact(city[1], "Population")["value"]]),
        [*open_article(city[1]), stop(fact(city[1], "Population")["value"])],
    )
    b.add(
        ["wikipedia"],
        "In which year was {{city}} founded?",
        {"city": city[2]},
        W,
        string_match(exact=fact(city[2], "Founded")["value"]),
        [*open_article(city[2]), stop(fact(city[2], "Founded")["value"])],
    )
    b.add(
        ["wikipedia"],
        "Who is the mayor of {{city}}?",
        {"city": city[3]},
        W,
        string_match(exact=fact(city[3], "Mayor")["value"]),
        [*open_article(city[3]), stop(fact(city[3], "Mayor")["value"])],
    )
    b.add(
        ["wikipedia"],
        "Which river flows through {{city}}?",
        {"city": city[4]},
        W,
        string_match(must=[fact(city[4], "River")["value"]]),
        [*open_article(city[4]), stop(fact(city[4], "River")["value"])],
    )
    mayor = fact(city[5], "Mayor")["value"]
    born = fact(mayor, "Born")["value"][:4]
    b.add(
        ["wikipedia"],
        "In which year was the mayor of {{city}} born?",
        {"city": city[5]},
        W,
        string_match(exact=born),
        [*open_article(city[5]), click("link", mayor), stop(born)],
    )
    river = kinds["river"][2]
    source = fact(river, "Source")["value"]
    elevation = fact(source, "Elevation")["value"]
    b.add(
        ["wikipedia"],
        "How high is the mountain where the {{river}} rises?",
        {"river": river},
        W,
        string_match(must=[elevation.split()[0]]),
        [*open_article(river), click("link", source), stop(elevation)],
    )
    prov = kinds["province"][1]
    b.add(
        ["wikipedia"],
        "What is the capital of {{province}}?",
        {"province": prov},
        W,
        string_match(exact=fact(prov, "Capital")["value"]),
        [*open_article(prov), stop(fact(prov, "Capital")["value"])],
    )
    mountain = kinds["mountain"][0]
    climber = fact(mountain, "First ascent")["link"]
    b.add(
        ["wikipedia"],
        "Who made the first ascent of {{mountain}}?",
        {"mountain": mountain},
        W,
        string_match(must=[climber]),
        [*open_article(mountain), stop(climber)],
    )
    b.add(
        ["wikipedia"],
        "How many articles about provinces does the wiki have?",
        {},
        W,
        string_match(exact=str(len(kinds["province"]))),
        [stop(str(len(kinds["province"])))],
    )
    twin = fact(city[6], "Twin town")["value"]
    industry = fact(twin, "Main industry")["value"]
    b.add(
        ["wikipedia"],
        "What is the main industry of the twin town of {{city}}?",
        {"city": city[6]},
        W,
        string_match(must=[industry]),
        [*open_article(city[6]), click("link", twin), stop(industry)],
    )
    b.add(
        ["wikipedia"],
        "What is the population of the city of {{city}}?",
        {"city": "Atlantis"},
        W,
        string_match(fuzzy="N/A", note="The wiki has no article about Atlantis."),
        [search("Atlantis"), stop("N/A")],
    )
    person = kinds["person"][2]
    known = fact(person, "Known for")["value"]
    b.add(
        ["wikipedia"],
        "What is {{person}} known for?",
        {"person": person},
        W,
        string_match(fuzzy=[known]),
        [*open_article(person), stop(known)],
    )
    b.add(
        ["wikipedia"],
        "Open the article about the {{river}}.",
        {"river": kinds["river"][0]},
        W,
        url_match(f"{W}/wiki/{slug(kinds['river'][0])}"),
        [*open_article(kinds["river"][0]), stop()],
    )
    b.add(
        ["wikipedia"],
        "Search the wiki for '{{query}}'.",
        {"query": "observatory"},
        W,
        url_match(f"{W}/search?q=observatory"),
        [search("observatory"), stop()],
    )
    birthplace = fact(kinds["person"][4], "Born")["link"]
    b.add(
        ["wikipedia"],
        "Open the article about the city where {{person}} was born.",
        {"person": kinds["person"][4]},
        W,
        url_match(f"{W}/wiki/{slug(birthplace)}"),
        [*open_article(kinds["person"][4]), click("link", birthplace), stop()],
    )
    b.add(
        ["wikipedia"],
        "Add the article about {{city}} to my reading list.",
        {"city": city[7]},
        W,
        program_html(target(f"{W}/reading-list", "func:wikipedia_get_reading_list()", must=[city[7]])),
        [*open_article(city[7]), click("button", "Add to reading list"), stop()],
        login="wikipedia",
        reset=True,
    )
    m, rv = kinds["mountain"][2], kinds["river"][3]
    b.add(
        ["wikipedia"],
        "Add the articles about {{mountain}} and the {{river}} to my reading list.",
        {"mountain": m, "river": rv},
        W,
        program_html(target(f"{W}/reading-list", "", must=[m, rv])),
        [
            *open_article(m),
            click("button", "Add to reading list"),
            *open_article(rv),
            click("button", "Add to reading list"),
            stop(),
        ],
        login="wikipedia",
        reset=True,
    )


# --- across sites ---------------------------------------------------------------------------------------------


def cross_tasks(b: Builder) -> None:
    wiki, forum = WikiApp.build_database(0), ForumApp.build_database(0)
    city = q(wiki, "SELECT title FROM articles WHERE kind = 'city' ORDER BY title")[8]["title"]
    river = one(wiki, "SELECT value FROM facts WHERE title = ? AND key = 'River'", city)["value"]
    b.add(
        ["wikipedia"],
        "Starting from the homepage, find which river flows through {{city}}.",
        {"city": city},
        "__HOMEPAGE__",
        string_match(must=[river]),
        [click("link", "wikipedia"), search(city), click("link", city), stop(river)],
    )
    newest = one(
        forum,
        f"SELECT * FROM ({ForumApp.POST_SQL}) WHERE forum = 'technology' "
        "ORDER BY created DESC, id DESC LIMIT 1",
    )
    b.add(
        ["wikipedia", "reddit"],
        "In the forum tab, how many comments does the newest post in f/technology have?",
        {},
        "__WIKIPEDIA__ |AND| __REDDIT__/f/technology?sort=new",
        string_match(exact=str(newest["n_comments"])),
        [tab_focus(1), stop(str(newest["n_comments"]))],
    )
    shop = ShopApp.build_database(0)
    p = one(shop, "SELECT * FROM products WHERE sku = 'EL-1009'")
    post = one(
        forum, "SELECT * FROM posts WHERE forum = 'technology' AND id != ? ORDER BY id LIMIT 1", newest["id"]
    )
    post_url = f"__REDDIT__/f/technology/{post['id']}"
    b.add(
        ["shopping", "reddit"],
        "Post the price of the {{product}} as a comment on the forum post '{{title}}'.",
        {"product": p["name"], "title": post["title"]},
        f"__SHOPPING__/product/{p['sku']} |AND| {post_url}",
        program_html(
            target(
                post_url,
                "document.querySelector('section[aria-label=\"Comments\"]').innerText",
                must=[money(p["price"])[1:]],
            )
        ),
        [
            tab_focus(1),
            type_("textbox", "Comment", money(p["price"])),
            click("button", "Post comment"),
            stop(),
        ],
        login="all",
        reset=True,
    )


def build() -> tuple[list[dict], dict[str, list[dict]]]:
    b = Builder()
    for part in (shop_tasks, forum_tasks, wiki_tasks, cross_tasks):
        part(b)
    return b.tasks, b.oracles


def dumps(obj: object) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    tasks, oracles = build()
    TASKS_FILE.write_text(dumps(tasks))
    ORACLES_FILE.write_text(dumps(oracles))
    print(f"wrote {len(tasks)} tasks to {TASKS_FILE} and their oracles to {ORACLES_FILE}")


if __name__ == "__main__":
    main()
