"""The shop's admin panel (`/admin`, WebArena's SHOPPING_ADMIN): products, orders, customers, reviews, reports.

A mixin of `ShopApp`: its routes share the store's database, so an order placed in the store is what the admin
sees.
"""

from __future__ import annotations

from envs.web.sites.base import HttpError, Request, Response, form_number, h, money, redirect, route
from envs.web.sites.shop_data import ORDER_STATUSES, TODAY

MAX_PRICE = 1_000_000  # dollars
MAX_STOCK = 10**9


class ShopAdmin:
    """Admin routes and fragments; `ShopApp` supplies the database and layout (`SiteApp`)."""

    def user_area(self, req: Request) -> str:
        if not req.path.startswith("/admin"):
            return super().user_area(req)
        if "admin" not in req.users:
            return ""
        return (
            f'<span>Admin panel: signed in as {h(req.users["admin"])}</span><form method="post" action="/logout" '
            'class="inline"><button type="submit">Sign out</button></form>'
        )

    def admin_layout(self, req: Request, title: str, body: str) -> str:
        nav = " | ".join(
            f'<a href="{href}">{text}</a>'
            for text, href in [
                ("Dashboard", "/admin"),
                ("Products", "/admin/products"),
                ("Orders", "/admin/orders"),
                ("Customers", "/admin/customers"),
                ("Reviews", "/admin/reviews"),
                ("Bestsellers report", "/admin/reports/bestsellers"),
            ]
        )
        return self.layout(req, title, f'<nav aria-label="Admin">{nav}</nav>{body}')

    @route("GET", "/admin/login")
    def admin_login(self, req: Request) -> str:
        return self.login_page(req, "admin")

    @route("POST", "/admin/login")
    def admin_login_post(self, req: Request) -> Response:
        if not req.form.get("next", "").startswith("/admin"):
            req.form["next"] = "/admin"
        return self.do_login(req, "admin")

    @route("GET", "/admin")
    def admin_home(self, req: Request) -> str:
        self.require(req, "admin")
        n = {
            k: self.one(sql)[0]
            for k, sql in [
                ("products", "SELECT COUNT(*) FROM products"),
                ("orders", "SELECT COUNT(*) FROM orders"),
                ("customers", "SELECT COUNT(*) FROM users WHERE is_admin = 0"),
                ("pending", "SELECT COUNT(*) FROM orders WHERE status = 'Pending'"),
                ("revenue", "SELECT COALESCE(SUM(total), 0) FROM orders WHERE status != 'Canceled'"),
            ]
        }
        body = f"""<dl><dt>Products</dt><dd>{n["products"]}</dd><dt>Orders</dt><dd>{n["orders"]}</dd>
<dt>Pending orders</dt><dd>{n["pending"]}</dd><dt>Customers</dt><dd>{n["customers"]}</dd>
<dt>Lifetime sales</dt><dd>{money(n["revenue"])}</dd></dl>"""
        return self.admin_layout(req, "Dashboard", body)

    @route("GET", "/admin/products")
    def admin_products(self, req: Request) -> str:
        self.require(req, "admin")
        q = req.query.get("q", "").strip()
        rows = self.all(
            "SELECT * FROM products WHERE name LIKE ? OR sku LIKE ? ORDER BY sku", f"%{q}%", f"%{q}%"
        )
        lines = "".join(
            f'<tr><td>{h(p["sku"])}</td><td><a href="/admin/products/{h(p["sku"])}">{h(p["name"])}</a></td>'
            f"<td>{money(p['price'])}</td><td>{p['stock']}</td><td>{'Enabled' if p['enabled'] else 'Disabled'}</td>"
            "</tr>"
            for p in rows
        )
        body = f"""<form method="get" action="/admin/products" role="search" aria-label="Filter products">
<label for="product-filter">Filter products</label><input id="product-filter" name="q" value="{h(q)}">
<button type="submit">Filter</button></form>
<table><thead><tr><th>SKU</th><th>Name</th><th>Price</th><th>Stock</th><th>Status</th></tr></thead>
<tbody>{lines}</tbody></table>"""
        return self.admin_layout(req, "Products", body)

    @route("GET", "/admin/products/(?P<sku>[A-Z]{2}-[0-9]+)")
    def admin_product(self, req: Request, sku: str) -> str:
        self.require(req, "admin")
        p = self.one("SELECT * FROM products WHERE sku = ?", sku)
        if p is None:
            raise HttpError(404, "Product not found")
        status = "".join(
            f'<input type="radio" id="status-{v}" name="enabled" value="{v}"'
            f'{" checked" if p["enabled"] == v else ""}><label for="status-{v}">{label}</label>'
            for v, label in [(1, "Enabled"), (0, "Disabled")]
        )
        body = f"""<form method="post" action="/admin/products/{h(sku)}" aria-label="Edit product">
<p><label for="name">Product name</label><input id="name" name="name" value="{h(p["name"])}" required></p>
<p><label for="price">Price</label><input id="price" name="price" value="{p["price"] / 100:.2f}" required></p>
<p><label for="stock">Stock quantity</label><input id="stock" name="stock" value="{p["stock"]}" required></p>
<fieldset><legend>Status</legend>{status}</fieldset><p><button type="submit">Save Product</button></p></form>"""
        return self.admin_layout(req, f"Edit {p['sku']}", body)

    @route("POST", "/admin/products/(?P<sku>[A-Z]{2}-[0-9]+)")
    def admin_product_save(self, req: Request, sku: str) -> Response:
        self.require(req, "admin")
        price = round(form_number(req.form.get("price", ""), "Price", lo=0, hi=MAX_PRICE) * 100)
        stock = int(form_number(req.form.get("stock", ""), "Stock", lo=0, hi=MAX_STOCK, whole=True))
        name = req.form.get("name", "").strip()
        if not name:  # price and stock were bounded (0 and up) by form_number
            raise HttpError(400, "Name, a non-negative price and a non-negative stock are required.")
        enabled = 1 if req.form.get("enabled", "1") == "1" else 0
        self.run(
            "UPDATE products SET name=?, price=?, stock=?, enabled=? WHERE sku=?",
            name,
            price,
            stock,
            enabled,
            sku,
        )
        return redirect(f"/admin/products/{sku}")

    @route("GET", "/admin/orders")
    def admin_orders(self, req: Request) -> str:
        self.require(req, "admin")
        status = req.query.get("status", "")
        rows = self.all(
            "SELECT o.*, u.full_name FROM orders o JOIN users u ON u.username = o.username "
            "WHERE ? = '' OR o.status = ? ORDER BY o.id DESC",
            status,
            status,
        )
        filters = " ".join(f'<a href="/admin/orders?status={s}">{s}</a>' for s in ORDER_STATUSES)
        lines = "".join(
            f'<tr><td><a href="/admin/orders/{o["id"]}">#{o["id"]}</a></td><td>{h(o["created"])}</td>'
            f"<td>{h(o['full_name'])}</td><td>{h(o['status'])}</td><td>{money(o['total'])}</td></tr>"
            for o in rows
        )
        body = (
            f'<p>Filter by status: <a href="/admin/orders">All</a> {filters}</p><p>{len(rows)} orders</p>'
            "<table><thead><tr><th>Order</th><th>Date</th><th>Customer</th><th>Status</th><th>Total</th></tr>"
            f"</thead><tbody>{lines}</tbody></table>"
        )
        return self.admin_layout(req, "Orders", body)

    @route("GET", "/admin/orders/(?P<order_id>[0-9]+)")
    def admin_order(self, req: Request, order_id: str) -> str:
        self.require(req, "admin")
        o = self.one(
            "SELECT o.*, u.full_name, u.email FROM orders o JOIN users u ON u.username = o.username "
            "WHERE o.id = ?",
            int(order_id),
        )
        if o is None:
            raise HttpError(404, "Order not found")
        radios = "".join(
            f'<input type="radio" id="os-{s}" name="status" value="{s}"{" checked" if s == o["status"] else ""}>'
            f'<label for="os-{s}">{s}</label>'
            for s in ORDER_STATUSES
        )
        comments = "".join(
            f'<li class="order-comment">{h(c["body"])} <span class="muted">({h(c["author"])}, '
            f"{h(c['created'])})</span></li>"
            for c in self.all("SELECT * FROM order_comments WHERE order_id = ? ORDER BY id", o["id"])
        )
        body = f"""<p>Customer: <a href="/admin/customers/{h(o["username"])}">{h(o["full_name"])}</a>
({h(o["email"])})</p>{self.order_detail(o)}
<form method="post" action="/admin/orders/{o["id"]}/status" aria-label="Order status">
<fieldset><legend>Order status</legend>{radios}</fieldset><button type="submit">Update Status</button></form>
<section aria-label="Comments"><h2>Comments</h2><ul>{comments}</ul>
<form method="post" action="/admin/orders/{o["id"]}/comment"><label for="comment">Comment</label>
<textarea id="comment" name="comment" required></textarea><button type="submit">Add Comment</button></form>
</section>"""
        return self.admin_layout(req, f"Order #{o['id']}", body)

    @route("POST", "/admin/orders/(?P<order_id>[0-9]+)/status")
    def admin_order_status(self, req: Request, order_id: str) -> Response:
        self.require(req, "admin")
        status = req.form.get("status", "")
        if status not in ORDER_STATUSES:
            raise HttpError(400, f"Status must be one of {', '.join(ORDER_STATUSES)}.")
        self.run("UPDATE orders SET status = ? WHERE id = ?", status, int(order_id))
        return redirect(f"/admin/orders/{int(order_id)}")

    @route("POST", "/admin/orders/(?P<order_id>[0-9]+)/comment")
    def admin_order_comment(self, req: Request, order_id: str) -> Response:
        admin = self.require(req, "admin")
        text = req.form.get("comment", "").strip()
        if not text:
            raise HttpError(400, "A comment cannot be empty.")
        self.run(
            "INSERT INTO order_comments (order_id, author, body, created) VALUES (?,?,?,?)",
            int(order_id),
            admin,
            text,
            TODAY,
        )
        return redirect(f"/admin/orders/{int(order_id)}")

    @route("GET", "/admin/customers")
    def admin_customers(self, req: Request) -> str:
        self.require(req, "admin")
        rows = self.all(
            "SELECT u.*, COUNT(o.id) AS n FROM users u LEFT JOIN orders o ON o.username = u.username "
            "WHERE u.is_admin = 0 GROUP BY u.username ORDER BY u.full_name"
        )
        lines = "".join(
            f'<tr><td><a href="/admin/customers/{h(u["username"])}">{h(u["full_name"])}</a></td>'
            f"<td>{h(u['email'])}</td><td>{h(u['city'])}</td><td>{u['n']}</td></tr>"
            for u in rows
        )
        return self.admin_layout(
            req,
            "Customers",
            "<table><thead><tr><th>Name</th><th>Email</th><th>City</th>"
            f"<th>Orders</th></tr></thead><tbody>{lines}</tbody></table>",
        )

    @route("GET", "/admin/customers/(?P<username>[a-z0-9]+)")
    def admin_customer(self, req: Request, username: str) -> str:
        self.require(req, "admin")
        u = self.one("SELECT * FROM users WHERE username = ?", username)
        if u is None:
            raise HttpError(404, "Customer not found")
        orders = "".join(
            f'<li><a href="/admin/orders/{o["id"]}">Order #{o["id"]}</a> {h(o["created"])} '
            f"{h(o['status'])} {money(o['total'])}</li>"
            for o in self.all("SELECT * FROM orders WHERE username = ? ORDER BY id", username)
        )
        body = f"""<dl><dt>Email</dt><dd>{h(u["email"])}</dd><dt>Phone</dt><dd>{h(u["phone"])}</dd>
<dt>Address</dt><dd>{h(u["street"])}, {h(u["city"])} {h(u["zip"])}</dd></dl><h2>Orders</h2><ul>{orders}</ul>"""
        return self.admin_layout(req, u["full_name"], body)

    @route("GET", "/admin/reviews")
    def admin_reviews(self, req: Request) -> str:
        self.require(req, "admin")
        rows = self.all(
            "SELECT r.*, p.name FROM reviews r JOIN products p ON p.sku = r.sku "
            "ORDER BY r.created DESC, r.id DESC"
        )
        lines = "".join(
            f"<tr><td>{r['id']}</td><td>{h(r['name'])}</td><td>{h(r['author'])}</td><td>{r['rating']}</td>"
            f'<td>{h(r["title"])}</td><td>{h(r["created"])}</td><td><form method="post" class="inline" '
            f'action="/admin/reviews/{r["id"]}/delete"><button type="submit" aria-label="Delete review {r["id"]}">'
            "Delete</button></form></td></tr>"
            for r in rows
        )
        return self.admin_layout(
            req,
            "Reviews",
            "<table><thead><tr><th>ID</th><th>Product</th><th>Author</th>"
            "<th>Rating</th><th>Title</th><th>Date</th><th></th></tr></thead>"
            f"<tbody>{lines}</tbody></table>",
        )

    @route("POST", "/admin/reviews/(?P<review_id>[0-9]+)/delete")
    def admin_review_delete(self, req: Request, review_id: str) -> Response:
        self.require(req, "admin")
        self.run("DELETE FROM reviews WHERE id = ?", int(review_id))
        return redirect("/admin/reviews")

    @route("GET", "/admin/reports/bestsellers")
    def admin_bestsellers(self, req: Request) -> str:
        self.require(req, "admin")
        rows = self.bestsellers()
        lines = "".join(
            f"<tr><td>{i}</td><td>{h(r['sku'])}</td><td>{h(r['name'])}</td><td>{r['qty']}</td></tr>"
            for i, r in enumerate(rows, 1)
        )
        return self.admin_layout(
            req,
            "Bestsellers",
            "<p>Units sold in orders that were not canceled.</p><table>"
            "<thead><tr><th>Rank</th><th>SKU</th><th>Product</th>"
            f"<th>Units sold</th></tr></thead><tbody>{lines}</tbody></table>",
        )

    def bestsellers(self, limit: int = 10) -> list:
        return self.all(
            "SELECT i.sku, p.name, SUM(i.qty) AS qty FROM order_items i JOIN orders o ON o.id = "
            "i.order_id JOIN products p ON p.sku = i.sku WHERE o.status != 'Canceled' GROUP BY i.sku "
            "ORDER BY qty DESC, i.sku LIMIT ?",
            limit,
        )
