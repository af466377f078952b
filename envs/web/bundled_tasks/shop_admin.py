"""Bundled tasks on the shop's admin panel (WebArena's SHOPPING_ADMIN)."""

from __future__ import annotations

import sqlite3

from envs.web.bundled_tasks.dsl import (
    Builder,
    click,
    goto,
    one,
    program_html,
    q,
    stop,
    string_match,
    target,
    type_,
    url_match,
)
from envs.web.bundled_tasks.shop import ShopRows
from envs.web.sites.base import money
from envs.web.sites.shop import ShopApp


def shop_admin_tasks(b: Builder) -> None:
    rows = ShopRows(b.seed)
    db, product, reviews = rows.db, rows.product, rows.reviews
    S, A = "__SHOPPING__", "__SHOPPING_ADMIN__"

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
