"""The forum's seed data: the account, forums, post and comment vocabulary, the schema and the seeded rows."""

from __future__ import annotations

import random
import sqlite3

from envs.web.sites.base import hash_password

ACCOUNTS = {"reddit": {"username": "marlow_reads", "password": "Forum.Pass123", "login_path": "/login"}}
NOW = "2024-06-15 12:00"
PAGE_SIZE = 20

FORUMS = {
    "books": (
        "Books",
        "Novels, non-fiction and everything printed",
        [
            "science fiction",
            "poetry",
            "audiobooks",
            "library sales",
            "book clubs",
            "graphic novels",
            "classic literature",
            "e-readers",
        ],
    ),
    "gaming": (
        "Gaming",
        "Video games, board games and tabletop",
        [
            "speedruns",
            "retro consoles",
            "indie games",
            "board games",
            "game controllers",
            "co-op games",
            "strategy games",
            "handheld consoles",
        ],
    ),
    "science": (
        "Science",
        "Research news and curious questions",
        [
            "black holes",
            "fermentation",
            "plate tectonics",
            "bird migration",
            "quantum computing",
            "coral reefs",
            "telescopes",
            "solar power",
        ],
    ),
    "cooking": (
        "Cooking",
        "Recipes, techniques and kitchen wins",
        [
            "sourdough",
            "cast iron pans",
            "knife skills",
            "meal prep",
            "spice blends",
            "fresh pasta",
            "slow cookers",
            "pickling",
        ],
    ),
    "movies": (
        "Movies",
        "Films old and new",
        [
            "film noir",
            "animated films",
            "documentaries",
            "movie soundtracks",
            "silent films",
            "film festivals",
            "director commentaries",
            "practical effects",
        ],
    ),
    "technology": (
        "Technology",
        "Gadgets, software and the internet",
        [
            "mechanical keyboards",
            "home servers",
            "password managers",
            "open source",
            "smart homes",
            "laptops",
            "backups",
            "text editors",
        ],
    ),
    "travel": (
        "Travel",
        "Trips, tips and trip reports",
        [
            "night trains",
            "hostels",
            "packing lists",
            "travel insurance",
            "road trips",
            "hiking trails",
            "budget airlines",
            "language apps",
        ],
    ),
    "music": (
        "Music",
        "Listening, playing and recording",
        [
            "vinyl records",
            "home recording",
            "jazz standards",
            "guitar pedals",
            "music theory",
            "live concerts",
            "synthesizers",
            "choir singing",
        ],
    ),
}
TITLES = [
    "Best {s} for beginners?",
    "Unpopular opinion about {s}",
    "Looking for {s} recommendations",
    "Has anyone here tried {s}?",
    "Weekly {s} discussion thread",
    "I wrote a short guide to {s}",
    "What got you into {s}?",
    "Is {s} worth the hype?",
    "My first month with {s}",
    "Mistakes I made with {s}",
]
BODIES = [
    "I have been reading about {s} for a while and would love to hear your experiences.",
    "After a lot of trial and error, here is what worked for me with {s}. Feedback welcome!",
    "Quick question: where do you all start with {s}? Everything online seems contradictory.",
    "Sharing some notes on {s} from the last few weeks. Long post, sorry in advance.",
]
COMMENTS = [
    "Great post, thanks for sharing!",
    "I disagree, but I see where you are coming from.",
    "This is exactly what I needed today.",
    "Do you have a source for that?",
    "Same experience here, it took me months to figure out.",
    "Bookmarking this for later.",
    "Honestly the best advice in this thread.",
    "Could you explain the second point a bit more?",
    "I tried this last year and it went badly.",
    "Welcome to the club!",
]
USERS = [
    "marlow_reads",
    "quietfox",
    "pixel_pioneer",
    "tea_and_toast",
    "orbit_otter",
    "saltwater_sam",
    "fern_gully",
    "byte_bandit",
    "cinnamon_sky",
    "north_wind",
    "lazy_lynx",
    "velvet_thunder",
    "paper_crane",
    "moss_walker",
    "echo_chamber",
    "bright_harbor",
    "copper_kettle",
    "night_owl42",
    "granite_gus",
    "maple_leaf",
]

SCHEMA = """
CREATE TABLE users (username TEXT PRIMARY KEY, email TEXT, password_hash TEXT, is_admin INTEGER DEFAULT 0,
  bio TEXT, joined TEXT);
CREATE TABLE forums (name TEXT PRIMARY KEY, title TEXT, description TEXT, subscribers INTEGER);
CREATE TABLE posts (id INTEGER PRIMARY KEY, forum TEXT, author TEXT, title TEXT, body TEXT, created TEXT,
  base_score INTEGER);
CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id INTEGER, parent_id INTEGER, author TEXT, body TEXT,
  created TEXT, base_score INTEGER);
CREATE TABLE votes (username TEXT, post_id INTEGER, value INTEGER, PRIMARY KEY (username, post_id));
"""


def _time(rng: random.Random) -> str:
    return f"2024-{rng.randint(1, 5):02d}-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"


def seed_forum(conn: sqlite3.Connection, rng: random.Random) -> None:
    for i, name in enumerate(USERS):
        password = ACCOUNTS["reddit"]["password"] if i == 0 else f"Forum.User{i}"
        bio = rng.choice(
            [
                "Reader, hiker, occasional baker.",
                "Here for the discussions.",
                "Lurker since 2019.",
                "I like long walks and longer threads.",
                "Professional tinkerer.",
            ]
        )
        conn.execute(
            "INSERT INTO users VALUES (?,?,?,?,?,?)",
            (
                name,
                f"{name}@forum.example",
                hash_password(name, password),
                0,
                bio,
                f"20{rng.randint(19, 23)}-{rng.randint(1, 12):02d}-01",
            ),
        )
    posts = []
    for forum, (title, desc, subjects) in FORUMS.items():
        conn.execute("INSERT INTO forums VALUES (?,?,?,?)", (forum, title, desc, rng.randint(50, 5000)))
        for k, template in enumerate(rng.sample(TITLES, 10)):
            subject = subjects[k % len(subjects)]
            posts.append(
                (
                    _time(rng),
                    forum,
                    rng.choice(USERS),
                    template.format(s=subject),
                    rng.choice(BODIES).format(s=subject),
                    rng.randint(-5, 300),
                )
            )
    posts.sort()
    for created, forum, author, title, body, score in posts:
        cur = conn.execute(
            "INSERT INTO posts (forum, author, title, body, created, base_score) VALUES (?,?,?,?,?,?)",
            (forum, author, title, body, created, score),
        )
        comment_ids: list[int] = []
        for _ in range(rng.randint(0, 7)):
            parent = rng.choice(comment_ids) if comment_ids and rng.random() < 0.4 else None
            c = conn.execute(
                "INSERT INTO comments (post_id, parent_id, author, body, created, base_score) "
                "VALUES (?,?,?,?,?,?)",
                (
                    cur.lastrowid,
                    parent,
                    rng.choice(USERS),
                    rng.choice(COMMENTS),
                    f"{created[:11]}{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
                    rng.randint(-3, 60),
                ),
            )
            comment_ids.append(c.lastrowid)
