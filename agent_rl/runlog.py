"""Run-folder metrics: each record goes to metrics.jsonl and metrics.csv as it is logged, so a crash keeps it."""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agent_rl.core.jsonl import append_jsonl, read_jsonl


class MetricsLogger:
    """Append-only metrics for one run folder (or one stage inside it).

    The CSV's columns are fixed by the first record; later keys that are new go to the JSONL only. A resumed
    stage that logs a row again does not duplicate it: a row equal to a logged one (apart from its time) is
    dropped, and a row whose `key` fields match a logged row's (say the same `iteration`) replaces it.
    """

    def __init__(self, folder: str | Path, name: str = "metrics") -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.jsonl_path = self.folder / f"{name}.jsonl"
        self.csv_path = self.folder / f"{name}.csv"
        self._columns: list[str] | None = None
        self._logged = read_jsonl(self.jsonl_path)  # this logger is the file's only writer while it lives
        if self.csv_path.exists() and self.csv_path.stat().st_size:
            with self.csv_path.open() as f:
                self._columns = next(csv.reader(f), None)

    def log(self, record: dict[str, Any], key: Sequence[str] = ()) -> None:
        record = json.loads(json.dumps(record, default=float))  # compared as it will be read back
        if any(_without_time(row) == record for row in self._logged):
            return
        record = {"time": round(time.time(), 3), **record}
        if key and any(_same_key(row, record, key) for row in self._logged):
            self._rewrite([row for row in self._logged if not _same_key(row, record, key)] + [record])
            return
        append_jsonl(self.jsonl_path, record, default=float)
        self._logged.append(record)
        new_file = self._columns is None
        if new_file:
            self._columns = list(record)
        with self.csv_path.open("a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self._columns, extrasaction="ignore")
            if new_file:
                writer.writeheader()
            writer.writerow(record)

    def records(self) -> list[dict[str, Any]]:
        return read_jsonl(self.jsonl_path)

    def _rewrite(self, rows: list[dict[str, Any]]) -> None:
        """Replace both files at once (each through a temporary file, so a crash leaves the old or new)."""
        columns = self._columns or list(rows[0])
        jsonl_tmp, csv_tmp = self.jsonl_path.with_suffix(".jsonl.tmp"), self.csv_path.with_suffix(".csv.tmp")
        jsonl_tmp.write_text(
            "".join(json.dumps(row, default=float, ensure_ascii=False) + "\n" for row in rows)
        )
        with csv_tmp.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        os.replace(jsonl_tmp, self.jsonl_path)
        os.replace(csv_tmp, self.csv_path)
        self._columns, self._logged = columns, rows


def _without_time(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "time"}


def _same_key(row: dict[str, Any], record: dict[str, Any], key: Sequence[str]) -> bool:
    return all(field in row and row.get(field) == record.get(field) for field in key)
