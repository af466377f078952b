"""The task DSL of the bundled tasks: oracle actions, evaluation configs, and the `Builder` that numbers tasks.

The task files (shop, shop_admin, forum, wiki, cross_site) author tasks with it; `build` writes them out.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
TASKS_FILE = HERE / "bundled.raw.json"
ORACLES_FILE = HERE / "oracles.json"
AUTH = {
    "shopping": "./.auth/shopping_state.json",
    "shopping_admin": "./.auth/shopping_admin_state.json",
    "reddit": "./.auth/reddit_state.json",
    "wikipedia": "./.auth/wikipedia_state.json",
    "all": "./.auth/all_state.json",
}

# --- oracle actions -------------------------------------------------------------------------------------------


def goto(url: str) -> dict:
    return {"action": "goto", "url": url}


def click(role: str, name: str) -> dict:
    return {"action": "click", "role": role, "name": name}


def type_(role: str, name: str, text: str, enter: bool = False) -> dict:
    return {"action": "type", "role": role, "name": name, "text": text, "enter": enter}


def stop(answer: str = "") -> dict:
    return {"action": "stop", "answer": answer}


def tab_focus(index: int) -> dict:
    return {"action": "tab_focus", "index": index}


def search(text: str) -> dict:
    return type_("searchbox", "Search", text, enter=True)


def sign_in(username: str, password: str) -> list[dict]:
    return [
        type_("textbox", "Username or email", username),
        type_("textbox", "Password", password),
        click("button", "Sign in"),
    ]


# --- evaluation configs ---------------------------------------------------------------------------------------


def string_match(
    exact: str | None = None,
    must: list[str] | None = None,
    fuzzy: list[str] | str | None = None,
    note: str = "",
) -> dict:
    refs = {
        k: v
        for k, v in [("exact_match", exact), ("must_include", must), ("fuzzy_match", fuzzy)]
        if v is not None
    }
    raw = (
        exact
        if exact is not None
        else ", ".join(must)
        if must
        else fuzzy
        if isinstance(fuzzy, str)
        else fuzzy[0]
    )
    return {
        "eval_types": ["string_match"],
        "reference_answers": refs,
        "reference_url": "",
        "program_html": [],
        "string_note": note,
        "reference_answer_raw_annotation": raw,
    }


def url_match(url: str, note: str = "GOLD in PRED") -> dict:
    return {
        "eval_types": ["url_match"],
        "reference_answers": None,
        "reference_url": url,
        "program_html": [],
        "url_note": note,
    }


def target(url: str, locator: str = "", exact: str | None = None, must: list[str] | None = None) -> dict:
    contents = {"exact_match": exact} if exact is not None else {"must_include": must}
    return {"url": url, "locator": locator, "required_contents": contents}


def program_html(*targets: dict, reference_url: str = "") -> dict:
    types = ["url_match", "program_html"] if reference_url else ["program_html"]
    return {
        "eval_types": types,
        "reference_answers": None,
        "reference_url": reference_url,
        "program_html": list(targets),
        "url_note": "GOLD in PRED" if reference_url else "",
    }


class Builder:
    """Collects tasks and oracles, numbered in the order added, from the sites' data at `seed`."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.tasks: list[dict] = []
        self.oracles: dict[str, list[dict]] = {}
        self.templates: dict[str, int] = {}

    def add(
        self,
        sites: list[str],
        template: str,
        values: dict[str, Any],
        start: str,
        ev: dict,
        oracle: list[dict],
        login: str | None = None,
        reset: bool = False,
    ) -> None:
        intent = template
        for key, value in values.items():
            intent = intent.replace("{{" + key + "}}", str(value))
        task_id = len(self.tasks)
        self.tasks.append(
            {
                "sites": sites,
                "task_id": task_id,
                "require_login": login is not None,
                "storage_state": AUTH[login] if login else None,
                "start_url": start,
                "geolocation": None,
                "intent_template": template,
                "instantiation_dict": values,
                "intent": intent,
                "require_reset": reset,
                "eval": ev,
                "intent_template_id": self.templates.setdefault(template, len(self.templates)),
            }
        )
        assert oracle and oracle[-1]["action"] == "stop", f"task {task_id}: an oracle ends with stop"
        self.oracles[str(task_id)] = oracle


def q(conn: sqlite3.Connection, sql: str, *args: object) -> list[sqlite3.Row]:
    return conn.execute(sql, args).fetchall()


def one(conn: sqlite3.Connection, sql: str, *args: object) -> sqlite3.Row:
    row = conn.execute(sql, args).fetchone()
    assert row is not None, sql
    return row
