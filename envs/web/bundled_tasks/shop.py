"""Bundled tasks on the shop's storefront (WebArena's SHOPPING): questions, and changes that need a reset."""

from __future__ import annotations

import sqlite3

from envs.web.bundled_tasks.dsl import (
    Builder,
    click,
    goto,
    one,
    program_html,
    q,
    search,
    stop,
    string_match,
    tab_focus,
    target,
    type_,
    url_match,
)
from envs.web.sites.base import money
from envs.web.sites.shop import ShopApp


class ShopRows:
    """The shop's seed database and the two lookups its tasks use most."""

    def __init__(self, seed: int) -> None:
        self.db = ShopApp.build_database(seed)

    def product(self, sku: str) -> sqlite3.Row:
        return one(self.db, "SELECT * FROM products WHERE sku = ?", sku)

    def reviews(self, sku: str) -> list[sqlite3.Row]:
        return q(self.db, "SELECT * FROM reviews WHERE sku = ? ORDER BY created DESC, id DESC", sku)

    def reviewed(self, sku: str) -> sqlite3.Row:
        """The first product from SKU on (in SKU order, wrapping round) that has a review: SKU itself at seed
        0, a neighbour where another seed left SKU unreviewed."""
        skus = [r["sku"] for r in q(self.db, "SELECT sku FROM products ORDER BY sku")]
        start = skus.index(sku)
        return self.product(next(s for s in skus[start:] + skus[:start] if self.reviews(s)))


def shop_tasks(b: Builder) -> None:
    rows = ShopRows(b.seed)
    db, product, reviews = rows.db, rows.product, rows.reviews
    S = "__SHOPPING__"
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
    p = rows.reviewed("SP-1007")
    r = reviews(p["sku"])[0]
    b.add(
        ["shopping"],
        "Who wrote the most recent review of the {{product}}?",
        {"product": p["name"]},
        S,
        string_match(must=[r["author"]]),
        [*open_product(p), stop(r["author"])],
    )
    p = rows.reviewed("TO-1006")
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
    p = rows.reviewed("HO-1006")
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
