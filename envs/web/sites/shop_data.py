"""The shop's seed data: accounts, catalogue vocabulary, the SQLite schema and the seeded rows."""

from __future__ import annotations

import random
import sqlite3

from envs.web.sites.base import hash_password

ACCOUNTS = {
    "shopping": {"username": "alex.rivera@example.com", "password": "Shop.Pass123", "login_path": "/login"},
    "shopping_admin": {"username": "admin", "password": "Admin.Pass123", "login_path": "/admin/login"},
}
TODAY = "2024-06-15"
SHIPPING = {"standard": ("Standard shipping", 500), "express": ("Express shipping", 1500)}
ORDER_STATUSES = ["Pending", "Processing", "Shipped", "Complete", "Canceled"]

CATEGORIES = {
    "electronics": (
        "Electronics",
        [
            "Headphones",
            "Bluetooth Speaker",
            "USB-C Charger",
            "Webcam",
            "Keyboard",
            "Wireless Mouse",
            "Smart Watch",
            "Power Bank",
            "Monitor Stand",
            "HDMI Cable",
        ],
    ),
    "home-kitchen": (
        "Home & Kitchen",
        [
            "Coffee Grinder",
            "Chef Knife",
            "Cutting Board",
            "Teapot",
            "Blender",
            "Toaster",
            "Frying Pan",
            "Water Bottle",
            "Desk Lamp",
            "Throw Blanket",
        ],
    ),
    "books": (
        "Books",
        [
            "Field Guide",
            "Cookbook",
            "Mystery Novel",
            "Atlas",
            "Poetry Collection",
            "Travel Journal",
            "Science Primer",
            "History of Sailing",
            "Garden Almanac",
            "Chess Openings",
        ],
    ),
    "sports-outdoors": (
        "Sports & Outdoors",
        [
            "Yoga Mat",
            "Hiking Backpack",
            "Tent",
            "Running Shoes",
            "Dumbbell Set",
            "Camping Stove",
            "Bike Helmet",
            "Trekking Poles",
            "Jump Rope",
            "Sleeping Bag",
        ],
    ),
    "beauty": (
        "Beauty",
        [
            "Face Cream",
            "Shampoo",
            "Lip Balm",
            "Hand Soap",
            "Sunscreen",
            "Hair Brush",
            "Body Lotion",
            "Nail Kit",
            "Bath Salts",
            "Beard Oil",
        ],
    ),
    "toys": (
        "Toys",
        [
            "Puzzle",
            "Building Blocks",
            "Kite",
            "Plush Bear",
            "Board Game",
            "Toy Train",
            "Yo-Yo",
            "Marble Run",
            "Art Set",
            "Rubber Duck",
        ],
    ),
}
BRANDS = ["Northwind", "Acme", "Bluepeak", "Solstice", "Kestrel", "Vantage", "Orchid", "Ironwood"]
COLORS = ["Black", "White", "Red", "Blue", "Green", "Gray", "Yellow", "Teal"]
ADJECTIVES = [
    "Classic",
    "Compact",
    "Deluxe",
    "Essential",
    "Premium",
    "Ultra",
    "Eco",
    "Pro",
    "Mini",
    "Heritage",
]
FIRST = [
    "Alex",
    "Jordan",
    "Priya",
    "Mateo",
    "Chen",
    "Fatima",
    "Liam",
    "Sofia",
    "Kwame",
    "Hana",
    "Oscar",
    "Ingrid",
    "Ravi",
    "Lucia",
    "Tomas",
    "Aiko",
    "Noah",
    "Zara",
    "Emil",
    "Maya",
]
LAST = [
    "Rivera",
    "Okafor",
    "Nguyen",
    "Schmidt",
    "Patel",
    "Garcia",
    "Kowalski",
    "Haddad",
    "Larsen",
    "Mori",
    "Silva",
    "Brennan",
    "Dubois",
    "Ivanova",
    "Costa",
    "Tanaka",
    "Fischer",
    "Moreau",
    "Ahmed",
    "Novak",
]
CITIES = [
    ("Portland", "97201"),
    ("Austin", "73301"),
    ("Denver", "80202"),
    ("Boston", "02108"),
    ("Seattle", "98101"),
    ("Chicago", "60601"),
    ("Madison", "53703"),
    ("Tucson", "85701"),
]
STREETS = ["Maple Ave", "Oak Street", "Pine Road", "Elm Court", "Cedar Lane", "Birch Way", "Willow Drive"]
REVIEW_TITLES = {
    5: ["Absolutely love it", "Exceeded expectations", "Five stars"],
    4: ["Very good", "Solid purchase", "Would buy again"],
    3: ["It's okay", "Average", "Does the job"],
    2: ["Disappointing", "Not great", "Expected more"],
    1: ["Broke quickly", "Waste of money", "Do not buy"],
}
REVIEW_BODIES = {
    5: "Works perfectly and arrived early. The quality is outstanding for the price.",
    4: "Good quality overall, with a couple of minor issues that did not bother me much.",
    3: "It works, but nothing special. Fine if you need one in a pinch.",
    2: "The build feels cheap and it stopped working properly after a few weeks.",
    1: "Arrived damaged and customer support never answered my messages.",
}

SCHEMA = """
CREATE TABLE users (username TEXT PRIMARY KEY, email TEXT UNIQUE, password_hash TEXT, full_name TEXT,
  is_admin INTEGER DEFAULT 0, street TEXT, city TEXT, zip TEXT, phone TEXT);
CREATE TABLE categories (slug TEXT PRIMARY KEY, name TEXT);
CREATE TABLE products (sku TEXT PRIMARY KEY, name TEXT, category TEXT, brand TEXT, color TEXT, price INTEGER,
  stock INTEGER, enabled INTEGER DEFAULT 1, description TEXT);
CREATE TABLE reviews (id INTEGER PRIMARY KEY, sku TEXT, author TEXT, rating INTEGER, title TEXT, body TEXT,
  created TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, username TEXT, created TEXT, status TEXT, ship_name TEXT,
  street TEXT, city TEXT, zip TEXT, shipping TEXT, shipping_cost INTEGER, total INTEGER);
CREATE TABLE order_items (order_id INTEGER, sku TEXT, name TEXT, price INTEGER, qty INTEGER);
CREATE TABLE order_comments (id INTEGER PRIMARY KEY, order_id INTEGER, author TEXT, body TEXT, created TEXT);
CREATE TABLE cart_items (username TEXT, sku TEXT, qty INTEGER, PRIMARY KEY (username, sku));
"""


def _date(rng: random.Random, year: int) -> str:
    """A day in YEAR before the site's TODAY (2024-06-15)."""
    return f"{year}-{rng.randint(1, 5 if year == 2024 else 12):02d}-{rng.randint(1, 28):02d}"


def seed_shop(conn: sqlite3.Connection, rng: random.Random) -> None:
    users = [("alex", "alex.rivera@example.com", "Alex Rivera", 0, "Shop.Pass123")]
    users.append(("admin", "admin@onestop.example", "Store Admin", 1, "Admin.Pass123"))
    for i in range(1, 20):
        first, last = FIRST[i], LAST[i]
        users.append(
            (
                f"{first.lower()}{i}",
                f"{first.lower()}.{last.lower()}@example.com",
                f"{first} {last}",
                0,
                f"Customer.Pass{i}",
            )
        )
    for username, email, name, admin, pw in users:
        city, zipc = rng.choice(CITIES)
        street = f"{rng.randint(10, 999)} {rng.choice(STREETS)}"
        phone = f"555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
        conn.execute(
            "INSERT INTO users VALUES (?,?,?,?,?,?,?,?,?)",
            (username, email, hash_password(username, pw), name, admin, street, city, zipc, phone),
        )
    for slug, (cname, nouns) in CATEGORIES.items():
        conn.execute("INSERT INTO categories VALUES (?,?)", (slug, cname))
        for ni, noun in enumerate(nouns):
            brand, color, adj = rng.choice(BRANDS), rng.choice(COLORS), rng.choice(ADJECTIVES)
            sku = f"{slug[:2].upper()}-{1001 + ni}"
            price = rng.randint(5, 250) * 100 - rng.choice([0, 1, 5, 51])
            desc = (
                f"The {brand} {adj} {noun} in {color.lower()}. Designed for everyday use, "
                f"backed by a {rng.choice([1, 2, 3])}-year warranty."
            )
            conn.execute(
                "INSERT INTO products VALUES (?,?,?,?,?,?,?,?,?)",
                (sku, f"{brand} {adj} {noun}", slug, brand, color, price, rng.randint(0, 80), 1, desc),
            )
    customers = [u[0] for u in users if not u[3]]
    skus = [r[0] for r in conn.execute("SELECT sku FROM products ORDER BY sku")]
    for sku in skus:
        for _ in range(rng.randint(0, 5)):
            rating = rng.choices([1, 2, 3, 4, 5], weights=[1, 1, 2, 4, 4])[0]
            author = rng.choice(FIRST) + " " + rng.choice(LAST)[0] + "."
            conn.execute(
                "INSERT INTO reviews (sku, author, rating, title, body, created) VALUES (?,?,?,?,?,?)",
                (
                    sku,
                    author,
                    rating,
                    rng.choice(REVIEW_TITLES[rating]),
                    REVIEW_BODIES[rating],
                    _date(rng, rng.choice([2023, 2024]))[:7] + "-01",
                ),
            )
    orders = []
    for username in customers:
        if username == "alex":  # the signed-in customer: five orders in 2023, three in 2024
            orders += [(_date(rng, 2023 if k < 5 else 2024), username) for k in range(8)]
        else:
            orders += [
                (_date(rng, rng.choice([2022, 2023, 2024])), username) for _ in range(rng.randint(1, 4))
            ]
    orders.sort()
    for created, username in orders:
        user = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
        status = rng.choices(ORDER_STATUSES, weights=[1, 1, 2, 5, 1])[0]
        method = rng.choice(list(SHIPPING))
        chosen = rng.sample(skus, rng.randint(1, 3))
        items = []
        for sku in chosen:
            p = conn.execute("SELECT name, price FROM products WHERE sku = ?", (sku,)).fetchone()
            items.append((sku, p[0], p[1], rng.randint(1, 3)))
        total = sum(price * qty for _, _, price, qty in items) + SHIPPING[method][1]
        cur = conn.execute(
            "INSERT INTO orders (username, created, status, ship_name, street, city, zip, shipping, shipping_cost,"
            " total) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                username,
                created,
                status,
                user["full_name"],
                user["street"],
                user["city"],
                user["zip"],
                method,
                SHIPPING[method][1],
                total,
            ),
        )
        conn.executemany("INSERT INTO order_items VALUES (?,?,?,?,?)", [(cur.lastrowid, *it) for it in items])
    conn.execute("INSERT INTO cart_items VALUES (?,?,?)", ("alex", rng.choice(skus), 1))
