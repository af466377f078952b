"""Keeping the agent on its task's sites: which URLs it may open and which requests the page may make."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Cloud instance-metadata services that are not link-local addresses (169.254.169.254 is, and is refused too).
METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "fd00:ec2::254", "100.100.100.200"})


def origin(url: str) -> str:
    """scheme://host:port with the default port made explicit, so equal origins compare equal."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    except ValueError:
        port = 0
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"


def is_link_local(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0]).is_link_local
    except ValueError:
        return False


def refusal(url: str, allowed: set[str]) -> str | None:
    """Why the agent may not open `url`, or None when it may."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return (
            f"refused {url!r}: only http(s) pages of the task's sites may be opened, not {scheme or 'bare'}:"
        )
    if is_link_local(parts.hostname or ""):
        return f"refused {url!r}: link-local addresses are never opened"
    if (parts.hostname or "").lower().rstrip(".") in METADATA_HOSTS:
        return f"refused {url!r}: cloud metadata services are never opened"
    if origin(url) not in allowed:
        sites = ", ".join(sorted(allowed)) or "none"
        return f"refused {url!r}: it is not one of the task's sites ({sites})"
    return None
