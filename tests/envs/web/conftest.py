"""Shared fixtures of the web tests: the bundled sites, started once per session on free ports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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
