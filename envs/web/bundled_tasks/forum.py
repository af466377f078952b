"""Bundled tasks on the forum (WebArena's REDDIT)."""

from __future__ import annotations

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
    target,
    type_,
    url_match,
)
from envs.web.sites.forum import ForumApp


def forum_tasks(b: Builder) -> None:
    db = ForumApp.build_database(b.seed)
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
