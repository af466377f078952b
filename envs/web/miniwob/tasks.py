"""MiniWoB++ tasks as WebEnv task configs: the page to open and what `page.MiniWobPage` needs to run it."""

from __future__ import annotations

from typing import Any

from agent_rl.errors import UserError
from envs.web.miniwob.server import MINIWOB_VAR, html_root

# Tasks a click/type agent can finish (no drag, no canvas drawing); `--tasks standard` runs them.
STANDARD = (
    "click-button",
    "click-button-sequence",
    "click-checkboxes",
    "click-collapsible",
    "click-dialog",
    "click-dialog-2",
    "click-link",
    "click-option",
    "click-tab",
    "click-test",
    "click-test-2",
    "click-widget",
    "enter-password",
    "enter-text",
    "enter-text-2",
    "focus-text",
    "focus-text-2",
    "login-user",
    "navigate-tree",
    "use-autocomplete",
)
CI = ("click-test", "click-button", "focus-text")  # quick ones, for the test suite
PRESETS = {"standard": STANDARD, "ci": CI}


def task_names() -> list[str]:
    """Every task page the installed package ships."""
    return sorted(p.stem for p in (html_root() / "miniwob").glob("*.html"))


def resolve_names(spec: str) -> list[str]:
    """Task names from `standard`, `ci`, `all` or a comma-separated list; unknown names are a UserError."""
    spec = spec.strip()
    known = task_names()
    if spec == "all":
        return known
    if spec in PRESETS:
        return list(PRESETS[spec])
    names = [n.strip() for n in spec.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise UserError(
            f"unknown MiniWoB++ task(s) {', '.join(unknown) or spec!r}; use standard, ci, all or names such as "
            f"{', '.join(known[:5])} ({len(known)} in all)"
        )
    return names


def miniwob_task(name: str, base_url: str, episode_time_s: float | None = None) -> dict[str, Any]:
    """The task config of page NAME served at BASE_URL; the instruction is the page's, read at reset."""
    return {
        "task_id": f"miniwob.{name}",
        "sites": ["miniwob"],
        "intent": "",
        "start_url": f"{base_url.rstrip('/')}/miniwob/{name}.html",
        "require_login": False,
        "storage_state": None,
        "eval": {"eval_types": ["miniwob"]},
        "miniwob": {"task": name, "episode_time_s": episode_time_s},
    }


__all__ = ["MINIWOB_VAR", "PRESETS", "miniwob_task", "resolve_names", "task_names"]
