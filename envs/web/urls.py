"""Which site is where: WebArena's site keys, their environment variables and `__SITE__` placeholders.

Kept apart from the task configs so the site launcher and the tasks can both read it without importing
each other.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from agent_rl.errors import UserError

SITE_VARS = {
    "shopping": "SHOPPING",
    "shopping_admin": "SHOPPING_ADMIN",
    "reddit": "REDDIT",
    "gitlab": "GITLAB",
    "map": "MAP",
    "wikipedia": "WIKIPEDIA",
    "homepage": "HOMEPAGE",
}
PLACEHOLDERS = {f"__{var}__": var for var in SITE_VARS.values()}


def site_urls(urls: Mapping[str, str] | None = None, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """{VARIABLE: url} from URLS (keys like "SHOPPING", "shopping" or "__SHOPPING__"), else the environment."""
    env = os.environ if env is None else env
    out = {var: env[var].rstrip("/") for var in SITE_VARS.values() if env.get(var)}
    for key, url in (urls or {}).items():
        var = key.strip("_").upper()
        if var not in PLACEHOLDERS.values():
            raise UserError(f"unknown site {key!r}; known: {', '.join(SITE_VARS.values())}")
        out[var] = url.rstrip("/")
    return out
