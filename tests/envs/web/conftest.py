"""Shared fixtures of the web tests: the bundled sites, started once per session on free ports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from envs.web.sites import SitesHandle, start_sites


@pytest.fixture(scope="session")
def bundled_sites() -> Iterator[SitesHandle]:
    """All bundled sites (shop, forum, wiki, homepage) in this process; `.urls`, `.env_vars()`, `.reset(name)`.

    Tests that change site state should call `bundled_sites.reset(...)` (or reset in a finalizer) so others
    see the seed state.
    """
    with start_sites() as sites:
        yield sites


@pytest.fixture(scope="session")
def bundled_auth_dir(bundled_sites: SitesHandle, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of signed-in storage states for the bundled sites: `<key>_state.json` and `all_state.json`."""
    folder = tmp_path_factory.mktemp("auth")
    bundled_sites.write_storage_states(folder)
    return folder


@pytest.fixture
def oracle_failures() -> Callable[[list[dict[str, Any]]], dict[Any, tuple]]:
    """From `results.jsonl` rows, each task that did not score 1: its error, score details and every step's
    action, error and URL, so that a failure tells a timing fault from a broken oracle."""

    def failures(rows: list[dict[str, Any]]) -> dict[Any, tuple]:
        return {
            r["task_id"]: (
                r["error"],
                r.get("eval"),
                [(s["action"].split("Action: ")[-1], s["error"], s["url"]) for s in r["steps"]],
            )
            for r in rows
            if r["score"] != 1.0
        }

    return failures
