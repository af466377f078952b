"""The forum: subforums, posts, threaded comments, votes and user pages (WebArena's REDDIT, a Postmill).

Account (see `ACCOUNTS`): `marlow_reads`. Scores are a seeded base score plus the votes cast on the site.
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
    redirect,
    route,
    url_quote,
)
from envs.web.sites.forum_data import ACCOUNTS, NOW, PAGE_SIZE, SCHEMA, seed_forum

__all__ = ["ACCOUNTS", "ForumApp"]


class ForumApp(SiteApp):
    name = "forum"
    title = "Postmill Forum"
    description = (
        "Postmill Forum, a Reddit-like discussion site: eight subforums (f/books, f/gaming, ...), posts sortable by "
        "hot/new/top, threaded comments, up- and down-votes, search and user pages with biographies."
    )
    realms = {"user": "forum_session"}
    nav_links = [("Forums", "/forums"), ("All posts", "/")]
    schema = SCHEMA

    @classmethod
    def seed(cls, conn: sqlite3.Connection, rng: random.Random) -> None:
        seed_forum(conn, rng)

    def profile_path(self, username: str) -> str:
        return f"/user/{url_quote(username)}"

    POST_SQL = """SELECT p.*, p.base_score + COALESCE((SELECT SUM(value) FROM votes v WHERE v.post_id = p.id), 0)
      AS score, (SELECT COUNT(*) FROM comments c WHERE c.post_id = p.id) AS n_comments FROM posts p"""
    SORTS = {
        "hot": "score + 3 * n_comments DESC, created DESC",
        "new": "created DESC, id DESC",
        "top": "score DESC, id ASC",
        "comments": "n_comments DESC, id ASC",
    }

    def post(self, forum: str, post_id: str) -> sqlite3.Row:
        row = self.one(f"{self.POST_SQL} WHERE p.id = ? AND p.forum = ?", int(post_id), forum)
        if row is None:
            raise HttpError(404, "Post not found")
        return row

    def listing(self, req: Request, where: str, args: tuple, base: str) -> str:
        sort = req.query.get("sort", "hot")
        if sort not in self.SORTS:
            sort = "hot"
        try:
            page = int(form_number(req.query.get("page", "1"), "Page", lo=1, hi=10**6, whole=True))
        except HttpError:
            page = 1
        rows = self.all(
            f"SELECT * FROM ({self.POST_SQL}) WHERE {where} ORDER BY {self.SORTS[sort]} LIMIT ? OFFSET ?",
            *args,
            PAGE_SIZE + 1,
            (page - 1) * PAGE_SIZE,
        )
        sep = "&" if "?" in base else "?"
        current = ' aria-current="page"'
        sorts = " ".join(
            f'<a href="{base}{sep}sort={s}"{current if s == sort else ""}>{s.capitalize()}</a>'
            for s in self.SORTS
        )
        items = (
            "".join(
                f'<article class="card" aria-label="{h(p["title"])}"><h2><a href="/f/{h(p["forum"])}/{p["id"]}">'
                f'{h(p["title"])}</a></h2><p class="muted">Submitted by <a href="/user/{h(p["author"])}">'
                f'{h(p["author"])}</a> to <a href="/f/{h(p["forum"])}">f/{h(p["forum"])}</a> on {h(p["created"])}</p>'
                f'<p><span class="score">{p["score"]} points</span> · <a href="/f/{h(p["forum"])}/{p["id"]}">'
                f"{p['n_comments']} comments</a></p></article>"
                for p in rows[:PAGE_SIZE]
            )
            or "<p>No posts here yet.</p>"
        )
        pager = ""
        if page > 1:
            pager += f'<a href="{base}{sep}sort={sort}&amp;page={page - 1}">Previous page</a> '
        if len(rows) > PAGE_SIZE:
            pager += f'<a href="{base}{sep}sort={sort}&amp;page={page + 1}">Next page</a>'
        return (
            f'<nav aria-label="Sort posts">Sort by: {sorts}</nav>{items}<nav aria-label="Pages">{pager}</nav>'
        )

    @route("GET", "/")
    def front(self, req: Request) -> str:
        return self.layout(req, "All posts", self.listing(req, "1 = 1", (), "/"))

    @route("GET", "/forums")
    def forums(self, req: Request) -> str:
        rows = self.all(
            "SELECT f.*, COUNT(p.id) AS n FROM forums f LEFT JOIN posts p ON p.forum = f.name "
            "GROUP BY f.name ORDER BY f.name"
        )
        items = "".join(
            f'<tr><td><a href="/f/{h(f["name"])}">f/{h(f["name"])}</a></td><td>{h(f["description"])}</td>'
            f"<td>{f['subscribers']}</td><td>{f['n']}</td></tr>"
            for f in rows
        )
        return self.layout(
            req,
            "Forums",
            "<table><thead><tr><th>Forum</th><th>Description</th><th>Subscribers</th>"
            f"<th>Posts</th></tr></thead><tbody>{items}</tbody></table>",
        )

    @route("GET", "/f/(?P<forum>[a-z]+)")
    def forum(self, req: Request, forum: str) -> str:
        f = self.one("SELECT * FROM forums WHERE name = ?", forum)
        if f is None:
            raise HttpError(404, "Forum not found")
        head = (
            f"<p>{h(f['description'])} · {f['subscribers']} subscribers</p>"
            f'<p><a href="/f/{h(forum)}/submit">Submit a new post</a></p>'
        )
        return self.layout(req, f"f/{forum}", head + self.listing(req, "forum = ?", (forum,), f"/f/{forum}"))

    @route("GET", "/f/(?P<forum>[a-z]+)/submit")
    def submit_form(self, req: Request, forum: str) -> str:
        self.require(req)
        if self.one("SELECT 1 FROM forums WHERE name = ?", forum) is None:
            raise HttpError(404, "Forum not found")
        body = f"""<form method="post" action="/f/{h(forum)}/submit" aria-label="New post">
<p><label for="title">Title</label><input id="title" name="title" required maxlength="300"></p>
<p><label for="body">Body</label><textarea id="body" name="body"></textarea></p>
<p><button type="submit">Create post</button></p></form>"""
        return self.layout(req, f"Submit to f/{forum}", body)

    @route("POST", "/f/(?P<forum>[a-z]+)/submit")
    def submit(self, req: Request, forum: str) -> Response:
        user = self.require(req)
        if self.one("SELECT 1 FROM forums WHERE name = ?", forum) is None:
            raise HttpError(404, "Forum not found")
        title = req.form.get("title", "").strip()
        if not title:
            raise HttpError(400, "A post needs a title.")
        latest = self.one("SELECT MAX(created) FROM posts")[0]
        post_id = self.run(
            "INSERT INTO posts (forum, author, title, body, created, base_score) VALUES (?,?,?,?,?,?)",
            forum,
            user,
            title,
            req.form.get("body", "").strip(),
            max(NOW, latest or NOW),
            1,
        )
        return redirect(f"/f/{forum}/{post_id}")

    def comment_tree(self, comments: list, parent: int | None) -> str:
        items = "".join(
            f'<li><article class="card comment" aria-label="Comment by {h(c["author"])}"><p class="muted">'
            f'<a href="/user/{h(c["author"])}">{h(c["author"])}</a> · {c["base_score"]} points · {h(c["created"])}'
            f'</p><p class="comment-body">{h(c["body"])}</p></article>{self.comment_tree(comments, c["id"])}</li>'
            for c in comments
            if c["parent_id"] == parent
        )
        return f"<ul>{items}</ul>" if items else ""

    @route("GET", "/f/(?P<forum>[a-z]+)/(?P<post_id>[0-9]+)(?:/[^/]*)?")
    def post_page(self, req: Request, forum: str, post_id: str) -> str:
        p = self.post(forum, post_id)
        comments = self.all("SELECT * FROM comments WHERE post_id = ? ORDER BY created, id", p["id"])
        my_vote = self.one(
            "SELECT value FROM votes WHERE username = ? AND post_id = ?", req.user or "", p["id"]
        )
        mine = my_vote["value"] if my_vote else 0
        votes = "".join(
            f'<form method="post" action="/f/{h(forum)}/{p["id"]}/vote" class="inline"><input type="hidden" '
            f'name="value" value="{v}"><button type="submit" aria-pressed="{"true" if mine == v else "false"}">'
            f"{label}</button></form>"
            for v, label in [(1, "Upvote"), (-1, "Downvote")]
        )
        owner = ""
        if req.user == p["author"]:
            owner = (
                f'<form method="post" action="/f/{h(forum)}/{p["id"]}/delete"><button type="submit">'
                "Delete post</button></form>"
            )
        if req.user:
            reply = f"""<form method="post" action="/f/{h(forum)}/{p["id"]}/comment" aria-label="Add a comment">
<p><label for="comment">Comment</label><textarea id="comment" name="body" required></textarea></p>
<p><button type="submit">Post comment</button></p></form>"""
        else:
            reply = f'<p><a href="/login?next=/f/{h(forum)}/{p["id"]}">Sign in to comment</a></p>'
        body = f"""<p class="muted">Submitted by <a href="/user/{h(p["author"])}">{h(p["author"])}</a> to
<a href="/f/{h(forum)}">f/{h(forum)}</a> on {h(p["created"])}</p><div class="post-body"><p>{h(p["body"])}</p></div>
<p><span class="score" id="post-score">{p["score"]} points</span> {votes}</p>{owner}
<section aria-label="Comments"><h2>{len(comments)} comments</h2>{reply}{self.comment_tree(comments, None)}</section>"""
        return self.layout(req, p["title"], body)

    @route("POST", "/f/(?P<forum>[a-z]+)/(?P<post_id>[0-9]+)/vote")
    def vote(self, req: Request, forum: str, post_id: str) -> Response:
        user = self.require(req)
        p = self.post(forum, post_id)
        value = 1 if req.form.get("value") == "1" else -1
        old = self.one("SELECT value FROM votes WHERE username = ? AND post_id = ?", user, p["id"])
        if old and old["value"] == value:  # pressing the same button again takes the vote back
            self.run("DELETE FROM votes WHERE username = ? AND post_id = ?", user, p["id"])
        else:
            self.run("INSERT OR REPLACE INTO votes VALUES (?,?,?)", user, p["id"], value)
        return redirect(f"/f/{forum}/{p['id']}")

    @route("POST", "/f/(?P<forum>[a-z]+)/(?P<post_id>[0-9]+)/comment")
    def comment(self, req: Request, forum: str, post_id: str) -> Response:
        user = self.require(req)
        p = self.post(forum, post_id)
        text = req.form.get("body", "").strip()
        if not text:
            raise HttpError(400, "A comment cannot be empty.")
        self.run(
            "INSERT INTO comments (post_id, parent_id, author, body, created, base_score) VALUES (?,?,?,?,?,?)",
            p["id"],
            None,
            user,
            text,
            NOW,
            1,
        )
        return redirect(f"/f/{forum}/{p['id']}")

    @route("POST", "/f/(?P<forum>[a-z]+)/(?P<post_id>[0-9]+)/delete")
    def delete(self, req: Request, forum: str, post_id: str) -> Response:
        user = self.require(req)
        p = self.post(forum, post_id)
        if p["author"] != user:
            raise HttpError(403, "You can only delete your own posts.")
        self.run("DELETE FROM comments WHERE post_id = ?", p["id"])
        self.run("DELETE FROM votes WHERE post_id = ?", p["id"])
        self.run("DELETE FROM posts WHERE id = ?", p["id"])
        return redirect(f"/f/{forum}")

    @route("GET", "/user/(?P<username>[A-Za-z0-9_]+)")
    def user_page(self, req: Request, username: str) -> str:
        u = self.one("SELECT * FROM users WHERE username = ?", username)
        if u is None:
            raise HttpError(404, "User not found")
        posts = self.all(f"SELECT * FROM ({self.POST_SQL}) WHERE author = ? ORDER BY created DESC", username)
        comments = self.all(
            "SELECT c.*, p.title, p.forum FROM comments c JOIN posts p ON p.id = c.post_id "
            "WHERE c.author = ? ORDER BY c.created DESC",
            username,
        )
        post_items = "".join(
            f'<li><a href="/f/{h(p["forum"])}/{p["id"]}">{h(p["title"])}</a> in f/{h(p["forum"])}'
            f" · {p['score']} points</li>"
            for p in posts
        )
        comment_items = "".join(
            f'<li>&quot;{h(c["body"])}&quot; on <a href="/f/{h(c["forum"])}/{c["post_id"]}">'
            f"{h(c['title'])}</a></li>"
            for c in comments
        )
        edit = f'<p><a href="/user/{h(username)}/edit">Edit biography</a></p>' if req.user == username else ""
        body = f"""<dl><dt>Biography</dt><dd class="bio">{h(u["bio"])}</dd><dt>Joined</dt><dd>{h(u["joined"])}</dd>
<dt>Posts</dt><dd>{len(posts)}</dd><dt>Comments</dt><dd>{len(comments)}</dd></dl>{edit}
<section aria-label="Posts"><h2>Posts</h2><ul>{post_items}</ul></section>
<section aria-label="Comments"><h2>Comments</h2><ul>{comment_items}</ul></section>"""
        return self.layout(req, f"u/{username}", body)

    @route("GET", "/user/(?P<username>[A-Za-z0-9_]+)/edit")
    def bio_form(self, req: Request, username: str) -> str:
        if self.require(req) != username:
            raise HttpError(403, "You can only edit your own profile.")
        bio = self.one("SELECT bio FROM users WHERE username = ?", username)["bio"]
        body = f"""<form method="post" action="/user/{h(username)}/edit"><p><label for="bio">Biography</label>
<textarea id="bio" name="bio">{h(bio)}</textarea></p><p><button type="submit">Save</button></p></form>"""
        return self.layout(req, "Edit biography", body)

    @route("POST", "/user/(?P<username>[A-Za-z0-9_]+)/edit")
    def bio_save(self, req: Request, username: str) -> Response:
        if self.require(req) != username:
            raise HttpError(403, "You can only edit your own profile.")
        self.run("UPDATE users SET bio = ? WHERE username = ?", req.form.get("bio", "").strip(), username)
        return redirect(f"/user/{username}")

    @route("GET", "/search")
    def search(self, req: Request) -> str:
        q = req.query.get("q", "").strip()
        rows = []
        if q:
            rows = self.all(
                f"SELECT * FROM ({self.POST_SQL}) WHERE title LIKE ? OR body LIKE ? ORDER BY created DESC",
                f"%{q}%",
                f"%{q}%",
            )
        items = "".join(
            f'<li><a href="/f/{h(p["forum"])}/{p["id"]}">{h(p["title"])}</a> in f/{h(p["forum"])} by '
            f"{h(p['author'])}</li>"
            for p in rows
        )
        summary = f"<p>{len(rows)} results for &quot;{h(q)}&quot;</p>" if q else "<p>Type a search term.</p>"
        return self.layout(req, "Search results", f"{summary}<ul>{items}</ul>")

    @route("GET", "/__api/latest_post")
    def api_latest_post(self, req: Request) -> Response:
        p = self.one(
            "SELECT id, forum, title FROM posts WHERE author = ? ORDER BY created DESC, id DESC LIMIT 1",
            req.query.get("user", ""),
        )
        return json_response(dict(p) if p else None)
