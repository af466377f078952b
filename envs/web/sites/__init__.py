"""Bundled self-hosted sites (shop, forum, wiki) that mirror WebArena's SHOPPING, REDDIT and WIKIPEDIA."""

from envs.web.sites.launcher import SitesHandle, http_reset, start_sites

__all__ = ["SitesHandle", "http_reset", "start_sites"]
