"""The settings an output folder was started with, kept in a file beside its results.

`run --resume`, `eval generalpoints` and `eval webarena` resume into an existing folder only under the settings
that folder was started with: anything else would mix results made two ways (episodes of two models, metrics of
two learning rates). A differing rerun is refused with one line naming each changed field, and the file is
never rewritten under a run that exists, so it keeps describing what the folder holds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from agent_rl.errors import UserError

SETTINGS_FILE = "settings.json"  # the evaluations' file; a recipe run keeps `config.resolved.yaml`


def _dump(path: Path, settings: Any) -> str:
    if path.suffix == ".json":
        return json.dumps(settings, indent=2, default=str) + "\n"
    return yaml.safe_dump(json.loads(json.dumps(settings, default=str)), sort_keys=False)


def _load(path: Path, text: str) -> Any:
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


def changed_settings(before: Any, now: Any, where: str = "") -> list[str]:
    """The dotted names of settings that differ, with old and new values (`stages.1.rl.lr 1e-05 -> 0.001`)."""
    if isinstance(before, dict) and isinstance(now, dict):
        return [
            change
            for key in dict.fromkeys([*before, *now])
            for change in changed_settings(before.get(key), now.get(key), f"{where}{key}.")
        ]
    if isinstance(before, list) and isinstance(now, list) and len(before) == len(now):
        return [
            c
            for i, (b, n) in enumerate(zip(before, now, strict=True))
            for c in changed_settings(b, n, f"{where}{i}.")
        ]
    return [] if before == now else [f"{where.rstrip('.')} {before!r} -> {now!r}"]


def claim_settings(path: Path, settings: dict[str, Any], *, started: bool, hint: str) -> None:
    """Record `settings` in `path` (JSON or YAML by its suffix) for a new run. For a run that was `started`,
    refuse settings that differ from the recorded ones (a UserError naming them, ending with `hint`) and
    leave the file as it is."""
    path = Path(path)
    text = _dump(path, settings)
    if started and path.exists():
        try:
            before = _load(path, path.read_text())
        except (ValueError, yaml.YAMLError):
            raise UserError(f"{path} is corrupt: delete that folder or pick another --out") from None
        changed = changed_settings(before, _load(path, text))  # compared as they read back from the file
        if changed:
            more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
            raise UserError(
                f"{path.parent} was started with other settings ({', '.join(changed[:5])}{more}); {hint}"
            )
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
