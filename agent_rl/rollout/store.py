"""Append-only episode store in a run folder: `episodes.jsonl` plus PNG files under `images/`.

Each finished episode is one JSON line, flushed and fsynced before `append` returns, so a crash loses at most
the episode being written. Lines are read and appended by `agent_rl.core.jsonl`: a line that parses whole is a
finished episode (newline or not); a torn last line is skipped and cut off before the next append. Images are
written as files and referenced by their path relative to the store folder.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path
from typing import Any

from agent_rl.core.jsonl import append_jsonl, read_jsonl
from agent_rl.core.types import Episode
from agent_rl.errors import UserError

EPISODES_FILE = "episodes.jsonl"
IMAGES_DIR = "images"


def _json_default(value: Any) -> Any:
    """Env infos may hold numpy scalars/arrays, fractions, sets or paths: store them as plain JSON."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (set, tuple)):
        return list(value)
    if isinstance(value, Fraction):
        return str(value)
    return str(value)


class EpisodeStore:
    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / EPISODES_FILE
        self._finished: set[str] | None = None

    # -- writing ---------------------------------------------------------------------------------------

    def append(self, episode: Episode) -> None:
        """Write one finished episode (its images first, then its line) and make it durable."""
        self.folder.mkdir(parents=True, exist_ok=True)
        record = episode.to_dict()
        saved: dict[int, str] = {}  # the same image object in many turns is stored once
        for turn_record, turn in zip(record["turns"], episode.turns, strict=True):
            turn_record["images"] = [
                self._save_image(episode.episode_id, image, saved) for image in turn.images
            ]
        append_jsonl(self.path, record, durable=True, default=_json_default)
        self.finished_ids().add(episode.episode_id)

    def _save_image(self, episode_id: str, image: Any, saved: dict[int, str]) -> str:
        if isinstance(image, (str, Path)):
            return str(image)
        if id(image) not in saved:
            relative = Path(IMAGES_DIR) / re.sub(r"[^A-Za-z0-9_.-]", "_", episode_id) / f"{len(saved)}.png"
            (self.folder / relative).parent.mkdir(parents=True, exist_ok=True)
            image.save(self.folder / relative, format="PNG")
            saved[id(image)] = relative.as_posix()
        return saved[id(image)]

    # -- reading ---------------------------------------------------------------------------------------

    def read(self) -> list[Episode]:
        """All stored episodes in the order they finished; image fields hold paths relative to the folder."""
        episodes = []
        for number, record in enumerate(read_jsonl(self.path), start=1):
            try:
                episodes.append(Episode.from_dict(record))
            except (TypeError, KeyError, ValueError) as err:
                raise UserError(
                    f"{self.path}: record {number} is not an episode ({err}); move the file aside"
                ) from None
        return episodes

    def finished_ids(self) -> set[str]:
        if self._finished is None:
            self._finished = {episode.episode_id for episode in self.read()}
        return self._finished

    def image_path(self, relative: str) -> Path:
        return self.folder / relative

    def open_images(self, episodes: list[Episode]) -> None:
        """Replace the stored image paths of episodes read from here by the images themselves, e.g. before
        appending them to another store (which then saves its own copies)."""
        from PIL import Image

        for episode in episodes:
            for turn in episode.turns:
                turn.images = [
                    Image.open(self.image_path(p)) if isinstance(p, str) else p for p in turn.images
                ]

    def __len__(self) -> int:
        return len(self.finished_ids())
