"""The wiki: encyclopedia articles about a generated country, full-text search, links (WebArena's WIKIPEDIA).

Articles (cities, rivers, mountains, regions, people) come from a seeded generator, with infoboxes and links
between them, so questions need several hops. Signed-in readers (`reader`, see `ACCOUNTS`) keep a reading list.
"""

from __future__ import annotations

import random
import sqlite3

from envs.web.sites.base import (
    HttpError,
    Request,
    Response,
    SiteApp,
    h,
    hash_password,
    json_response,
    redirect,
    route,
)

ACCOUNTS = {"wikipedia": {"username": "reader", "password": "Wiki.Pass123", "login_path": "/login"}}
COUNTRY = "Veloria"
SYLLABLES = [
    "ar",
    "bel",
    "cor",
    "dan",
    "el",
    "fen",
    "gar",
    "hal",
    "is",
    "jor",
    "kel",
    "lun",
    "mar",
    "nor",
    "os",
    "pel",
    "quin",
    "ros",
    "sel",
    "tor",
    "ul",
    "vel",
    "wyn",
    "yar",
    "zan",
]
CITY_SUFFIX = ["ton", "ford", "burg", "mouth", "haven", "field", "port", "vale", "wick", "stead"]
FIRST_NAMES = [
    "Ada",
    "Bruno",
    "Clara",
    "Dmitri",
    "Elena",
    "Felix",
    "Greta",
    "Hugo",
    "Irene",
    "Jonas",
    "Katya",
    "Leon",
    "Mira",
    "Nils",
    "Olga",
    "Pavel",
]
OCCUPATIONS = [
    "engineer",
    "poet",
    "botanist",
    "architect",
    "explorer",
    "composer",
    "physician",
    "cartographer",
]
KNOWN_FOR = {
    "engineer": "designing the first bridge over the {river}",
    "poet": "the collection Songs of the {river}",
    "botanist": "cataloguing the alpine flowers of {mountain}",
    "architect": "the town hall of {city}",
    "explorer": "the first ascent of {mountain}",
    "composer": "the {city} Symphony",
    "physician": "founding the hospital of {city}",
    "cartographer": "the first survey map of {region}",
}
LANDMARKS = [
    "clock tower",
    "old harbour",
    "stone bridge",
    "cathedral",
    "botanical garden",
    "observatory",
    "market hall",
    "lighthouse",
]
INDUSTRIES = ["fishing", "textiles", "timber", "shipbuilding", "wine", "tourism", "mining", "printing"]

SCHEMA = """
CREATE TABLE users (username TEXT PRIMARY KEY, email TEXT, password_hash TEXT, is_admin INTEGER DEFAULT 0);
CREATE TABLE articles (title TEXT PRIMARY KEY, kind TEXT, summary TEXT, body TEXT);
CREATE TABLE facts (title TEXT, key TEXT, value TEXT, link TEXT, pos INTEGER);
CREATE TABLE reading_list (username TEXT, title TEXT, PRIMARY KEY (username, title));
"""


def _names(rng: random.Random, n: int, make) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        name = make()
        if name not in out:
            out.append(name)
    return out


def link(title: str) -> str:
    """Wiki markup for a link: [[Title]] (rendered as <a href="/wiki/Title">)."""
    return f"[[{title}]]"


def seed_wiki(conn: sqlite3.Connection, rng: random.Random) -> None:
    conn.execute(
        "INSERT INTO users VALUES (?,?,?,0)",
        ("reader", "reader@wiki.example", hash_password("reader", ACCOUNTS["wikipedia"]["password"])),
    )
    syll = lambda: rng.choice(SYLLABLES) + rng.choice(SYLLABLES)  # noqa: E731
    cities = _names(rng, 12, lambda: (syll() + rng.choice(CITY_SUFFIX)).capitalize())
    rivers = [f"{n} River" for n in _names(rng, 5, lambda: syll().capitalize())]
    mountains = [
        f"Mount {n}" for n in _names(rng, 4, lambda: (syll() + rng.choice(["a", "is", "on"])).capitalize())
    ]
    regions = [f"{n} Province" for n in _names(rng, 4, lambda: (syll() + "ia").capitalize())]
    people = _names(
        rng,
        12,
        lambda: f"{rng.choice(FIRST_NAMES)} {(syll() + rng.choice(['ov', 'er', 'sen'])).capitalize()}",
    )
    facts: dict[str, list[tuple[str, str, str]]] = {}
    region_of = {c: regions[i % len(regions)] for i, c in enumerate(cities)}
    river_of = {c: rivers[i % len(rivers)] for i, c in enumerate(cities)}
    mayors = dict(zip(cities, people, strict=True))
    born_in = {p: cities[(i * 5 + 3) % len(cities)] for i, p in enumerate(people)}
    for i, city in enumerate(cities):
        twin = cities[(i + 4) % len(cities)]
        facts[city] = [
            ("Country", COUNTRY, ""),
            ("Province", region_of[city], region_of[city]),
            ("Population", f"{rng.randint(8, 950) * 1000 + rng.randint(0, 999):,}", ""),
            ("Founded", str(rng.randint(900, 1850)), ""),
            ("River", river_of[city], river_of[city]),
            ("Mayor", mayors[city], mayors[city]),
            ("Twin town", twin, twin),
            ("Landmark", rng.choice(LANDMARKS), ""),
            ("Main industry", rng.choice(INDUSTRIES), ""),
        ]
    for i, river in enumerate(rivers):
        source = mountains[i % len(mountains)]
        along = [c for c in cities if river_of[c] == river]
        facts[river] = [
            ("Length", f"{rng.randint(40, 900)} km", ""),
            ("Source", source, source),
            ("Mouth", rng.choice(["Amber Sea", "Gulf of Sel", "Lake Oris"]), ""),
            ("Cities", ", ".join(along), ""),
        ]
    for i, mountain in enumerate(mountains):
        climber = people[(i * 3 + 1) % len(people)]
        facts[mountain] = [
            ("Elevation", f"{rng.randint(1800, 4800):,} m", ""),
            ("Province", regions[i % len(regions)], regions[i % len(regions)]),
            ("First ascent", f"{rng.randint(1975, 2015)} by {climber}", climber),
        ]
    for region in regions:
        members = [c for c in cities if region_of[c] == region]
        facts[region] = [
            ("Capital", members[0], members[0]),
            ("Area", f"{rng.randint(2, 40) * 1000:,} km²", ""),
            ("Cities", ", ".join(members), ""),
        ]
    for person in people:
        occupation = rng.choice(OCCUPATIONS)
        city = born_in[person]
        known = KNOWN_FOR[occupation].format(
            river=river_of[city], mountain=rng.choice(mountains), city=city, region=region_of[city]
        )
        facts[person] = [
            ("Born", f"{rng.randint(1940, 1990)} in {city}", city),
            ("Occupation", occupation, ""),
            ("Known for", known, ""),
        ]
    kinds = {
        **dict.fromkeys(cities, "city"),
        **dict.fromkeys(rivers, "river"),
        **dict.fromkeys(mountains, "mountain"),
        **dict.fromkeys(regions, "province"),
        **dict.fromkeys(people, "person"),
    }
    for title, kind in kinds.items():
        f = {k: v for k, v, _ in facts[title]}
        if kind == "city":
            summary = (
                f"{title} is a city in {link(f['Province'])}, {COUNTRY}, on the {link(f['River'])}. "
                f"It has a population of {f['Population']}."
            )
            body = (
                f"== History ==\n{title} was founded in {f['Founded']}. Its {f['Landmark']} is the best-known "
                f"sight of the city.\n== Economy ==\nThe main industry of {title} is {f['Main industry']}.\n"
                f"== Government ==\nThe current mayor is {link(f['Mayor'])}. {title} is twinned with "
                f"{link(f['Twin town'])}."
            )
        elif kind == "river":
            along = ", ".join(link(c) for c in f["Cities"].split(", "))
            summary = f"The {title} is a river of {COUNTRY}, {f['Length']} long."
            body = (
                f"== Course ==\nIt rises on {link(f['Source'])} and flows into the {f['Mouth']}.\n"
                f"== Cities ==\nCities on the river: {along}."
            )
        elif kind == "mountain":
            summary = f"{title} is a mountain in {link(f['Province'])}, {COUNTRY}, {f['Elevation']} high."
            climber = next(link_ for key, _, link_ in facts[title] if key == "First ascent")
            body = (
                f"== Climbing history ==\nThe first ascent was made in {f['First ascent'][:4]} by "
                f"{link(climber)}."
            )
        elif kind == "province":
            members = ", ".join(link(c) for c in f["Cities"].split(", "))
            summary = f"{title} is a province of {COUNTRY} with an area of {f['Area']}."
            body = f"== Cities ==\nIts capital is {link(f['Capital'])}. Cities: {members}."
        else:
            city = born_in[title]
            summary = f"{title} is a {COUNTRY}n {f['Occupation']}, born in {link(city)}."
            body = f"== Life and work ==\n{title.split()[0]} is remembered for {f['Known for']}."
            mayor_of = [c for c, m in mayors.items() if m == title]
            if mayor_of:
                body += f"\n== Public office ==\n{title} serves as mayor of {link(mayor_of[0])}."
        conn.execute("INSERT INTO articles VALUES (?,?,?,?)", (title, kind, summary, body))
        conn.executemany(
            "INSERT INTO facts VALUES (?,?,?,?,?)",
            [(title, k, v, lnk, pos) for pos, (k, v, lnk) in enumerate(facts[title])],
        )


def render_links(text: str) -> str:
    """Escape TEXT and turn each [[Title]] into a link to that article."""
    out, rest = [], text
    while "[[" in rest and "]]" in rest.split("[[", 1)[1]:
        before, after = rest.split("[[", 1)
        title, rest = after.split("]]", 1)
        out.append(h(before) + f'<a href="/wiki/{h(title.replace(" ", "_"))}">{h(title)}</a>')
    return "".join(out) + h(rest)


def plain(text: str) -> str:
    return text.replace("[[", "").replace("]]", "")


class WikiApp(SiteApp):
    name = "wiki"
    title = "Veloriapedia"
    description = (
        "Veloriapedia, an encyclopedia of the country Veloria: articles on cities, rivers, mountains, provinces "
        "and people with infoboxes and links between them, full-text search and a personal reading list."
    )
    realms = {"user": "wiki_session"}
    nav_links = [("All articles", "/wiki/Special:AllPages"), ("Reading list", "/reading-list")]
    schema = SCHEMA

    @classmethod
    def seed(cls, conn: sqlite3.Connection, rng: random.Random) -> None:
        seed_wiki(conn, rng)

    def profile_path(self, username: str) -> str:
        return "/reading-list"

    @route("GET", "/")
    def home(self, req: Request) -> str:
        counts = self.all("SELECT kind, COUNT(*) AS n FROM articles GROUP BY kind ORDER BY kind")
        kinds = "".join(f"<li>{c['n']} {h(c['kind'])} articles</li>" for c in counts)
        featured = self.one("SELECT * FROM articles WHERE kind = 'city' ORDER BY title LIMIT 1")
        body = (
            f'<p>The free encyclopedia of {COUNTRY}.</p><ul>{kinds}</ul><section aria-label="Featured article">'
            f'<h2>Featured article: <a href="/wiki/{h(featured["title"].replace(" ", "_"))}">'
            f"{h(featured['title'])}</a></h2><p>{render_links(featured['summary'])}</p></section>"
        )
        return self.layout(req, f"Welcome to {self.title}", body)

    @route("GET", "/wiki/Special:AllPages")
    def all_pages(self, req: Request) -> str:
        items = "".join(
            f'<li><a href="/wiki/{h(a["title"].replace(" ", "_"))}">{h(a["title"])}</a></li>'
            for a in self.all("SELECT title FROM articles ORDER BY title")
        )
        return self.layout(req, "All articles", f"<ul>{items}</ul>")

    @route("GET", "/wiki/(?P<slug>[^/]+)")
    def article(self, req: Request, slug: str) -> str:
        title = slug.replace("_", " ")
        a = self.one("SELECT * FROM articles WHERE title = ?", title)
        if a is None:
            raise HttpError(404, f"There is no article titled {title}")
        rows = "".join(
            f'<tr><th scope="row">{h(f["key"])}</th><td>'
            + (
                render_links(f["value"].replace(f["link"], link(f["link"]), 1))
                if f["link"]
                else h(f["value"])
            )
            + "</td></tr>"
            for f in self.all("SELECT * FROM facts WHERE title = ? ORDER BY pos", title)
        )
        sections = []
        for line in a["body"].split("\n"):
            if line.startswith("== "):
                sections.append(f"<h2>{h(line.strip('= '))}</h2>")
            else:
                sections.append(f"<p>{render_links(line)}</p>")
        saved = req.user and self.one(
            "SELECT 1 FROM reading_list WHERE username = ? AND title = ?", req.user, title
        )
        if saved:
            action = '<p class="ok">On your reading list.</p>'
        elif req.user:
            action = (
                f'<form method="post" action="/wiki/{h(slug)}/save"><button type="submit">Add to reading list'
                "</button></form>"
            )
        else:
            action = ""
        body = (
            f'<table class="infobox" aria-label="Infobox"><caption>{h(title)}</caption><tbody>{rows}</tbody>'
            f'</table>{action}<p class="lead">{render_links(a["summary"])}</p>{"".join(sections)}'
        )
        return self.layout(req, title, body)

    @route("POST", "/wiki/(?P<slug>[^/]+)/save")
    def save(self, req: Request, slug: str) -> Response:
        user = self.require(req)
        title = slug.replace("_", " ")
        if self.one("SELECT 1 FROM articles WHERE title = ?", title) is None:
            raise HttpError(404, f"There is no article titled {title}")
        self.run("INSERT OR IGNORE INTO reading_list VALUES (?,?)", user, title)
        return redirect(f"/wiki/{slug}")

    @route("GET", "/reading-list")
    def reading_list(self, req: Request) -> str:
        user = self.require(req)
        rows = self.all("SELECT title FROM reading_list WHERE username = ? ORDER BY title", user)
        items = "".join(
            f'<li><a href="/wiki/{h(r["title"].replace(" ", "_"))}">{h(r["title"])}</a> <form method="post" '
            f'action="/reading-list/remove" class="inline"><input type="hidden" name="title" value="{h(r["title"])}">'
            f'<button type="submit" aria-label="Remove {h(r["title"])}">Remove</button></form></li>'
            for r in rows
        )
        return self.layout(
            req, "Reading list", f"<ul>{items}</ul>" if rows else "<p>Your reading list is empty.</p>"
        )

    @route("POST", "/reading-list/remove")
    def reading_list_remove(self, req: Request) -> Response:
        self.run(
            "DELETE FROM reading_list WHERE username = ? AND title = ?",
            self.require(req),
            req.form.get("title", ""),
        )
        return redirect("/reading-list")

    @route("GET", "/search")
    def search(self, req: Request) -> str:
        q = req.query.get("q", "").strip()
        rows = []
        if q:
            like = f"%{q}%"
            rows = self.all(
                "SELECT * FROM articles WHERE title LIKE ? OR summary LIKE ? OR body LIKE ? "
                "ORDER BY title LIKE ? DESC, title",
                like,
                like,
                like,
                like,
            )
        items = "".join(
            f'<li><a href="/wiki/{h(a["title"].replace(" ", "_"))}">{h(a["title"])}</a>'
            f"<p>{h(plain(a['summary']))}</p></li>"
            for a in rows
        )
        summary = f"<p>{len(rows)} results for &quot;{h(q)}&quot;</p>" if q else "<p>Type a search term.</p>"
        return self.layout(req, "Search results", f"{summary}<ul>{items}</ul>")

    @route("GET", "/__api/reading_list")
    def api_reading_list(self, req: Request) -> Response:
        rows = self.all(
            "SELECT title FROM reading_list WHERE username = ? ORDER BY title", req.query.get("user", "")
        )
        return json_response([r["title"] for r in rows])
