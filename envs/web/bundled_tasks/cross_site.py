"""Bundled tasks that start on the homepage or span two sites."""

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
    tab_focus,
    target,
    type_,
)
from envs.web.sites.base import money
from envs.web.sites.forum import ForumApp
from envs.web.sites.shop import ShopApp
from envs.web.sites.wiki import WikiApp


def cross_tasks(b: Builder) -> None:
    wiki, forum = WikiApp.build_database(b.seed), ForumApp.build_database(b.seed)
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
    shop = ShopApp.build_database(b.seed)
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
