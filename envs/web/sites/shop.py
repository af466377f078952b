"""The shop: a small store front (catalogue, search, reviews, cart, checkout, orders) and its admin panel.

It mirrors WebArena's SHOPPING (storefront, `/`) and SHOPPING_ADMIN (`/admin`) pair on one server, so an order
placed in the store is what the admin sees. Accounts (see `ACCOUNTS`): the customer `alex.rivera@example.com`
and the administrator `admin`.
"""

from __future__ import annotations

import random
import sqlite3

from envs.web.sites.base import (
    HttpError,
    Request,
    Response,
    SiteApp,
    form_number,
    h,
    json_response,
    money,
    redirect,
    route,
)
from envs.web.sites.shop_admin import ShopAdmin
from envs.web.sites.shop_data import ACCOUNTS, SCHEMA, SHIPPING, TODAY, seed_shop

__all__ = ["ACCOUNTS", "ShopApp"]


class ShopApp(ShopAdmin, SiteApp):
    name = "shop"
    title = "One Stop Shop"
    description = (
        "One Stop Shop, an online store: product catalogue in six categories, search, product pages with reviews, "
        "cart, checkout, order history and account settings; its admin panel (/admin) manages products, orders, "
        "customers, reviews and a bestsellers report."
    )
    realms = {"user": "shop_session", "admin": "shop_admin_session"}
    login_paths = {"user": "/login", "admin": "/admin/login"}
    nav_links = [
        ("Categories", "/categories"),
        ("My Cart", "/cart"),
        ("My Orders", "/orders"),
        ("My Account", "/account"),
    ]
    schema = SCHEMA

    @classmethod
    def seed(cls, conn: sqlite3.Connection, rng: random.Random) -> None:
        seed_shop(conn, rng)

    # --- shared fragments -----------------------------------------------------------------------------------
    def product_table(self, rows: list, caption: str) -> str:
        if not rows:
            return "<p>No products found.</p>"
        body = "".join(
            f'<tr><td><a href="/product/{h(r["sku"])}">{h(r["name"])}</a></td><td>{money(r["price"])}</td>'
            f"<td>{self.rating_text(r['sku'])}</td></tr>"
            for r in rows
        )
        return (
            f"<table><caption>{h(caption)}</caption><thead><tr><th>Product</th><th>Price</th><th>Rating</th>"
            f"</tr></thead><tbody>{body}</tbody></table>"
        )

    def rating_text(self, sku: str) -> str:
        row = self.one("SELECT AVG(rating) AS avg, COUNT(*) AS n FROM reviews WHERE sku = ?", sku)
        return f"{row['avg']:.1f} out of 5 ({row['n']} reviews)" if row["n"] else "No reviews yet"

    def product(self, sku: str) -> sqlite3.Row:
        row = self.one("SELECT * FROM products WHERE sku = ? AND enabled = 1", sku)
        if row is None:
            raise HttpError(404, "Product not found")
        return row

    # --- storefront -----------------------------------------------------------------------------------------
    @route("GET", "/")
    def home(self, req: Request) -> str:
        cats = "".join(
            f'<li><a href="/category/{h(c["slug"])}">{h(c["name"])}</a></li>'
            for c in self.all("SELECT * FROM categories ORDER BY name")
        )
        top = self.all(
            "SELECT p.* FROM products p JOIN reviews r ON r.sku = p.sku WHERE p.enabled = 1 GROUP BY p.sku "
            "HAVING COUNT(*) >= 3 ORDER BY AVG(r.rating) DESC, p.sku LIMIT 6"
        )
        body = (
            f'<section aria-label="Categories"><h2>Shop by category</h2><ul>{cats}</ul></section>'
            f'<section aria-label="Top rated"><h2>Top rated products</h2>{self.product_table(top, "Top rated")}'
            "</section>"
        )
        return self.layout(req, "Welcome to One Stop Shop", body)

    @route("GET", "/categories")
    def categories(self, req: Request) -> str:
        rows = self.all(
            "SELECT c.*, COUNT(p.sku) AS n FROM categories c LEFT JOIN products p ON p.category = c.slug"
            " AND p.enabled = 1 GROUP BY c.slug ORDER BY c.name"
        )
        items = "".join(
            f'<li><a href="/category/{h(c["slug"])}">{h(c["name"])}</a> ({c["n"]} products)</li>'
            for c in rows
        )
        return self.layout(req, "Categories", f"<ul>{items}</ul>")

    @route("GET", "/category/(?P<slug>[a-z-]+)")
    def category(self, req: Request, slug: str) -> str:
        cat = self.one("SELECT * FROM categories WHERE slug = ?", slug)
        if cat is None:
            raise HttpError(404, "Category not found")
        orders = {"price_asc": "price ASC", "price_desc": "price DESC", "name": "name ASC"}
        sort = req.query.get("sort", "name")
        rows = self.all(
            f"SELECT * FROM products WHERE category = ? AND enabled = 1 ORDER BY "
            f"{orders.get(sort, 'name ASC')}, sku",
            slug,
        )
        sorts = " ".join(
            f'<a href="/category/{h(slug)}?sort={k}">{label}</a>'
            for k, label in [
                ("name", "Sort by name"),
                ("price_asc", "Price: low to high"),
                ("price_desc", "Price: high to low"),
            ]
        )
        return self.layout(req, cat["name"], f"<p>{sorts}</p>{self.product_table(rows, cat['name'])}")

    @route("GET", "/search")
    def search(self, req: Request) -> str:
        q = req.query.get("q", "").strip()
        rows = []
        if q:
            like = f"%{q}%"
            rows = self.all(
                "SELECT * FROM products WHERE enabled = 1 AND (name LIKE ? OR description LIKE ? OR "
                "brand LIKE ? OR sku LIKE ?) ORDER BY name, sku",
                like,
                like,
                like,
                like,
            )
        summary = f"<p>{len(rows)} results for &quot;{h(q)}&quot;</p>" if q else "<p>Type a search term.</p>"
        return self.layout(
            req, "Search results", summary + (self.product_table(rows, "Results") if q else "")
        )

    @route("GET", "/product/(?P<sku>[A-Z]{2}-[0-9]+)")
    def product_page(self, req: Request, sku: str) -> str:
        p = self.product(sku)
        cat = self.one("SELECT name FROM categories WHERE slug = ?", p["category"])
        reviews = self.all("SELECT * FROM reviews WHERE sku = ? ORDER BY created DESC, id DESC", sku)
        review_html = (
            "".join(
                f'<article class="card" aria-label="Review by {h(r["author"])}"><h3>{h(r["title"])}</h3>'
                f'<p>Rating: {r["rating"]} out of 5</p><p>By <span class="review-author">{h(r["author"])}</span>'
                f" on {h(r['created'])}</p><p>{h(r['body'])}</p></article>"
                for r in reviews
            )
            or "<p>No reviews yet.</p>"
        )
        if req.user:
            stars = "".join(
                f'<input type="radio" id="rating-{n}" name="rating" value="{n}" required>'
                f'<label for="rating-{n}">{n} star{"s" if n > 1 else ""}</label>'
                for n in range(1, 6)
            )
            form = f"""<form method="post" action="/product/{h(sku)}/review" class="card" aria-label="Write a review">
<h3>Write a review</h3><fieldset><legend>Rating</legend>{stars}</fieldset>
<p><label for="review-title">Review title</label><input id="review-title" name="title" required></p>
<p><label for="review-body">Review</label><textarea id="review-body" name="body" required></textarea></p>
<p><button type="submit">Submit Review</button></p></form>"""
        else:
            form = f'<p><a href="/login?next=/product/{h(sku)}">Sign in to write a review</a></p>'
        stock = f"In stock ({p['stock']} left)" if p["stock"] > 0 else "Out of stock"
        body = f"""<dl><dt>Price</dt><dd class="price">{money(p["price"])}</dd><dt>SKU</dt><dd>{h(sku)}</dd>
<dt>Brand</dt><dd>{h(p["brand"])}</dd><dt>Color</dt><dd>{h(p["color"])}</dd>
<dt>Category</dt><dd><a href="/category/{h(p["category"])}">{h(cat["name"])}</a></dd>
<dt>Availability</dt><dd>{stock}</dd><dt>Customer rating</dt><dd>{self.rating_text(sku)}</dd></dl>
<p>{h(p["description"])}</p>
<form method="post" action="/cart/add" aria-label="Add to cart"><input type="hidden" name="sku" value="{h(sku)}">
<label for="qty">Quantity</label><input id="qty" name="qty" type="number" min="1" value="1">
<button type="submit"{" disabled" if p["stock"] <= 0 else ""}>Add to Cart</button></form>
<section aria-label="Reviews"><h2>Reviews</h2>{review_html}{form}</section>"""
        return self.layout(req, p["name"], body)

    @route("POST", "/product/(?P<sku>[A-Z]{2}-[0-9]+)/review")
    def post_review(self, req: Request, sku: str) -> Response:
        user = self.require(req)
        self.product(sku)
        try:
            rating = int(req.form.get("rating", ""))
        except ValueError:
            rating = 0
        title, body = req.form.get("title", "").strip(), req.form.get("body", "").strip()
        if not 1 <= rating <= 5 or not title or not body:
            raise HttpError(400, "A review needs a rating from 1 to 5, a title and a text.")
        name = self.one("SELECT full_name FROM users WHERE username = ?", user)["full_name"]
        self.run(
            "INSERT INTO reviews (sku, author, rating, title, body, created) VALUES (?,?,?,?,?,?)",
            sku,
            name,
            rating,
            title,
            body,
            TODAY,
        )
        return redirect(f"/product/{sku}")

    # --- cart, checkout, orders -----------------------------------------------------------------------------
    @route("POST", "/cart/add")
    def cart_add(self, req: Request) -> Response:
        sku = req.form.get("sku", "")
        user = self.require(req)
        p = self.product(sku)
        qty = max(1, int(form_number(req.form.get("qty") or "1", "Quantity", lo=-1e6, hi=1e6, whole=True)))
        if p["stock"] < qty:
            raise HttpError(400, f"Only {p['stock']} left in stock.")
        self.run(
            "INSERT INTO cart_items VALUES (?,?,?) ON CONFLICT(username, sku) DO UPDATE SET qty = qty + ?",
            user,
            sku,
            qty,
            qty,
        )
        return redirect("/cart")

    @route("POST", "/cart/remove")
    def cart_remove(self, req: Request) -> Response:
        self.run(
            "DELETE FROM cart_items WHERE username = ? AND sku = ?", self.require(req), req.form.get("sku")
        )
        return redirect("/cart")

    def cart_rows(self, user: str) -> list:
        return self.all(
            "SELECT c.qty, p.* FROM cart_items c JOIN products p ON p.sku = c.sku WHERE c.username = ? "
            "ORDER BY p.name",
            user,
        )

    @route("GET", "/cart")
    def cart(self, req: Request) -> str:
        rows = self.cart_rows(self.require(req))
        if not rows:
            return self.layout(req, "Shopping Cart", "<p>Your cart is empty.</p>")
        lines = "".join(
            f'<tr data-sku="{h(r["sku"])}"><td><a href="/product/{h(r["sku"])}">{h(r["name"])}</a></td>'
            f'<td class="qty">{r["qty"]}</td>'
            f'<td>{money(r["price"] * r["qty"])}</td><td><form method="post" action="/cart/remove" class="inline">'
            f'<input type="hidden" name="sku" value="{h(r["sku"])}"><button type="submit" '
            f'aria-label="Remove {h(r["name"])}">Remove</button></form></td></tr>'
            for r in rows
        )
        subtotal = sum(r["price"] * r["qty"] for r in rows)
        body = (
            f"<table><thead><tr><th>Product</th><th>Quantity</th><th>Price</th><th></th></tr></thead>"
            f"<tbody>{lines}</tbody></table><p>Subtotal: <strong>{money(subtotal)}</strong></p>"
            '<p><a href="/checkout">Proceed to Checkout</a></p>'
        )
        return self.layout(req, "Shopping Cart", body)

    @route("GET", "/checkout")
    def checkout(self, req: Request) -> str:
        user = self.require(req)
        rows = self.cart_rows(user)
        if not rows:
            return self.layout(
                req, "Checkout", '<p>Your cart is empty. <a href="/">Continue shopping</a></p>'
            )
        u = self.one("SELECT * FROM users WHERE username = ?", user)
        methods = "".join(
            f'<input type="radio" id="ship-{k}" name="shipping" value="{k}"{" checked" if k == "standard" else ""}>'
            f'<label for="ship-{k}">{label} ({money(cost)})</label>'
            for k, (label, cost) in SHIPPING.items()
        )
        fields = "".join(
            f'<p><label for="{k}">{label}</label><input id="{k}" name="{k}" value="{h(u[col])}" required></p>'
            for k, label, col in [
                ("ship_name", "Full name", "full_name"),
                ("street", "Street address", "street"),
                ("city", "City", "city"),
                ("zip", "ZIP code", "zip"),
            ]
        )
        subtotal = sum(r["price"] * r["qty"] for r in rows)
        items = "".join(f"<li>{h(r['name'])} × {r['qty']}</li>" for r in rows)
        body = f"""<ul>{items}</ul><p>Subtotal: {money(subtotal)}</p>
<form method="post" action="/checkout" aria-label="Checkout"><fieldset><legend>Shipping address</legend>{fields}
</fieldset><fieldset><legend>Shipping method</legend>{methods}</fieldset>
<p><button type="submit">Place Order</button></p></form>"""
        return self.layout(req, "Checkout", body)

    @route("POST", "/checkout")
    def place_order(self, req: Request) -> Response:
        user = self.require(req)
        rows = self.cart_rows(user)
        if not rows:
            raise HttpError(400, "Your cart is empty.")
        method = req.form.get("shipping", "standard")
        if method not in SHIPPING:
            raise HttpError(400, "Unknown shipping method.")
        address = [req.form.get(k, "").strip() for k in ("ship_name", "street", "city", "zip")]
        if not all(address):
            raise HttpError(400, "Fill in every field of the shipping address.")
        total = sum(r["price"] * r["qty"] for r in rows) + SHIPPING[method][1]
        order_id = self.run(
            "INSERT INTO orders (username, created, status, ship_name, street, city, zip, shipping, shipping_cost,"
            " total) VALUES (?,?,?,?,?,?,?,?,?,?)",
            user,
            TODAY,
            "Pending",
            *address,
            method,
            SHIPPING[method][1],
            total,
        )
        for r in rows:
            self.run(
                "INSERT INTO order_items VALUES (?,?,?,?,?)",
                order_id,
                r["sku"],
                r["name"],
                r["price"],
                r["qty"],
            )
            self.run("UPDATE products SET stock = stock - ? WHERE sku = ?", r["qty"], r["sku"])
        self.run("DELETE FROM cart_items WHERE username = ?", user)
        return redirect(f"/orders/{order_id}")

    @route("GET", "/orders")
    def orders(self, req: Request) -> str:
        rows = self.all("SELECT * FROM orders WHERE username = ? ORDER BY id DESC", self.require(req))
        lines = "".join(
            f'<tr><td><a href="/orders/{o["id"]}">Order #{o["id"]}</a></td><td>{h(o["created"])}</td>'
            f"<td>{h(o['status'])}</td><td>{money(o['total'])}</td></tr>"
            for o in rows
        )
        body = (
            (
                "<table><thead><tr><th>Order</th><th>Date</th><th>Status</th><th>Total</th></tr></thead>"
                f"<tbody>{lines}</tbody></table>"
            )
            if rows
            else "<p>You have placed no orders.</p>"
        )
        return self.layout(req, "My Orders", body)

    def order_detail(self, order: sqlite3.Row) -> str:
        items = self.all("SELECT * FROM order_items WHERE order_id = ?", order["id"])
        lines = "".join(
            f"<tr><td>{h(i['name'])}</td><td>{h(i['sku'])}</td><td>{i['qty']}</td>"
            f"<td>{money(i['price'])}</td></tr>"
            for i in items
        )
        return f"""<dl><dt>Status</dt><dd class="order-status">{h(order["status"])}</dd>
<dt>Order date</dt><dd>{h(order["created"])}</dd><dt>Ship to</dt>
<dd class="ship-to">{h(order["ship_name"])}, {h(order["street"])}, {h(order["city"])} {h(order["zip"])}</dd>
<dt>Shipping method</dt><dd>{SHIPPING[order["shipping"]][0]} ({money(order["shipping_cost"])})</dd>
<dt>Grand total</dt><dd class="order-total">{money(order["total"])}</dd></dl>
<table><thead><tr><th>Product</th><th>SKU</th><th>Quantity</th><th>Unit price</th></tr></thead>
<tbody>{lines}</tbody></table>"""

    @route("GET", "/orders/(?P<order_id>[0-9]+)")
    def order_page(self, req: Request, order_id: str) -> str:
        order = self.one(
            "SELECT * FROM orders WHERE id = ? AND username = ?", int(order_id), self.require(req)
        )
        if order is None:
            raise HttpError(404, "Order not found")
        return self.layout(req, f"Order #{order['id']}", self.order_detail(order))

    @route("GET", "/account")
    def account(self, req: Request) -> str:
        u = self.one("SELECT * FROM users WHERE username = ?", self.require(req))
        body = f"""<dl><dt>Name</dt><dd>{h(u["full_name"])}</dd><dt>Email</dt><dd>{h(u["email"])}</dd>
<dt>Phone</dt><dd class="phone">{h(u["phone"])}</dd>
<dt>Default address</dt><dd class="address">{h(u["street"])}, {h(u["city"])} {h(u["zip"])}</dd></dl>
<p><a href="/account/edit">Edit account information</a></p>"""
        return self.layout(req, "My Account", body)

    @route("GET", "/account/edit")
    def account_edit(self, req: Request) -> str:
        u = self.one("SELECT * FROM users WHERE username = ?", self.require(req))
        fields = "".join(
            f'<p><label for="{k}">{label}</label><input id="{k}" name="{k}" value="{h(u[k])}" required></p>'
            for k, label in [
                ("full_name", "Full name"),
                ("street", "Street address"),
                ("city", "City"),
                ("zip", "ZIP code"),
                ("phone", "Phone"),
            ]
        )
        return self.layout(
            req,
            "Edit Account",
            f'<form method="post" action="/account/edit">{fields}'
            '<p><button type="submit">Save</button></p></form>',
        )

    @route("POST", "/account/edit")
    def account_save(self, req: Request) -> Response:
        user = self.require(req)
        values = [req.form.get(k, "").strip() for k in ("full_name", "street", "city", "zip", "phone")]
        if not all(values):
            raise HttpError(400, "Every field is required.")
        self.run(
            "UPDATE users SET full_name=?, street=?, city=?, zip=?, phone=? WHERE username=?", *values, user
        )
        return redirect("/account")

    # --- read-only JSON for the evaluator's helper functions ------------------------------------------------
    @route("GET", "/__api/latest_order")
    def api_latest_order(self, req: Request) -> Response:
        user = req.query.get("user", "alex")
        o = self.one("SELECT * FROM orders WHERE username = ? ORDER BY id DESC LIMIT 1", user)
        return json_response(dict(o) if o else None)

    @route("GET", "/__api/latest_review")
    def api_latest_review(self, req: Request) -> Response:
        r = self.one(
            "SELECT * FROM reviews WHERE sku = ? ORDER BY created DESC, id DESC LIMIT 1",
            req.query.get("sku", ""),
        )
        return json_response(dict(r) if r else None)
