"""Bundled tasks on the wiki (WebArena's WIKIPEDIA)."""

from __future__ import annotations

from envs.web.bundled_tasks.dsl import (
    Builder,
    click,
    one,
    program_html,
    q,
    search,
    stop,
    string_match,
    target,
    url_match,
)
from envs.web.sites.wiki import WikiApp


def wiki_tasks(b: Builder) -> None:
    db = WikiApp.build_database(b.seed)
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
