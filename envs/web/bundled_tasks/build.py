"""Write the bundled WebArena-format tasks and their scripted oracle solutions from the sites' seed data.

    python -m envs.web.bundled_tasks.build      # rewrites bundled.raw.json and oracles.json beside this file

Every answer is read from the same seeded databases the servers start from, so tasks and sites cannot drift
apart (a test rebuilds both files and compares). Oracle actions follow `envs/web/oracles.py`. Each site's
tasks are in their own module, written with the DSL in `dsl.py`.

Tasks that change a site set `require_reset` and touch rows that no read-only task reads.
"""

from __future__ import annotations

import json

from envs.web.bundled_tasks.cross_site import cross_tasks
from envs.web.bundled_tasks.dsl import ORACLES_FILE, TASKS_FILE, Builder
from envs.web.bundled_tasks.forum import forum_tasks
from envs.web.bundled_tasks.shop import shop_tasks
from envs.web.bundled_tasks.shop_admin import shop_admin_tasks
from envs.web.bundled_tasks.wiki import wiki_tasks


def build(seed: int = 0) -> tuple[list[dict], dict[str, list[dict]]]:
    """The tasks and oracles of the sites built from SEED (the files beside this module hold seed 0)."""
    b = Builder(seed)
    for part in (shop_tasks, shop_admin_tasks, forum_tasks, wiki_tasks, cross_tasks):
        part(b)
    return b.tasks, b.oracles


def dumps(obj: object) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    tasks, oracles = build()
    TASKS_FILE.write_text(dumps(tasks))
    ORACLES_FILE.write_text(dumps(oracles))
    print(f"wrote {len(tasks)} tasks to {TASKS_FILE} and their oracles to {ORACLES_FILE}")


if __name__ == "__main__":
    main()
