"""Run-folder metrics: each record goes to metrics.jsonl and metrics.csv as it is logged, so a crash keeps it."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Any


class MetricsLogger:
    """Append-only metrics for one run folder (or one stage inside it).

    The CSV's columns are fixed by the first record; later keys that are new go to the JSONL only.
    """

    def __init__(self, folder: str | Path, name: str = "metrics") -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.jsonl_path = self.folder / f"{name}.jsonl"
        self.csv_path = self.folder / f"{name}.csv"
        self._columns: list[str] | None = None
        if self.csv_path.exists() and self.csv_path.stat().st_size:
            with self.csv_path.open() as f:
                self._columns = next(csv.reader(f))

    def log(self, record: dict[str, Any]) -> None:
        record = {"time": round(time.time(), 3), **record}
        with self.jsonl_path.open("a") as f:
            f.write(json.dumps(record, default=float) + "\n")
        new_file = self._columns is None
        if new_file:
            self._columns = list(record)
        with self.csv_path.open("a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self._columns, extrasaction="ignore")
            if new_file:
                writer.writeheader()
            writer.writerow(record)

    def records(self) -> list[dict[str, Any]]:
        if not self.jsonl_path.exists():
            return []
        return [json.loads(line) for line in self.jsonl_path.read_text().splitlines() if line.strip()]
