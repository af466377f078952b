"""The one JSONL reader and appender of the project: episode stores, metrics, results and judge input.

A record is finished exactly when its line parses whole as a JSON object, with or without its newline. A
last line that does not (a crash mid-append, possibly inside a multibyte character) is torn: readers skip
it, and the next append cuts it off. A finished last line that only lacks its newline gets one before the
next record. Any other line that does not parse is corruption, reported as one clear error.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from agent_rl.errors import UserError


def parse_record(raw: bytes) -> dict[str, Any] | None:
    """The JSON object on one line, or None when the bytes are not one (torn, garbage, too deeply nested)."""
    try:
        record = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    return record if isinstance(record, dict) else None


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Every finished record in file order; [] for a missing file. A corrupt line other than a torn last one
    raises a UserError naming the file and line."""
    path = Path(path)
    if not path.exists():
        return []
    lines = path.read_bytes().split(b"\n")  # the last item is b"" when the file ends with its newline
    records = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        record = parse_record(raw)
        if record is None:
            if number == len(lines):  # a torn last line: that record never finished being written
                break
            raise UserError(
                f"{path} line {number} is corrupt (not a JSON object); move the file aside or delete that line"
            )
        records.append(record)
    return records


def settle_tail(f: BinaryIO) -> None:
    """Make a file opened with "a+b" end with a newline: add it after a finished last record, cut a torn
    one. Only a file that does not already end with a newline is read."""
    size = f.seek(0, os.SEEK_END)
    if size == 0:
        return
    f.seek(size - 1)
    if f.read(1) == b"\n":
        return
    f.seek(0)
    data = f.read()
    start = data.rfind(b"\n") + 1
    if parse_record(data[start:]) is not None:
        f.write(b"\n")
    else:
        f.truncate(start)


def append_jsonl(
    path: str | Path,
    record: dict[str, Any],
    *,
    durable: bool = False,
    default: Callable[[Any], Any] | None = None,
) -> None:
    """Append one record as one line (non-ASCII kept as is); `durable` fsyncs before returning."""
    line = json.dumps(record, default=default, ensure_ascii=False).encode("utf-8") + b"\n"
    with Path(path).open("a+b") as f:
        settle_tail(f)
        f.write(line)
        f.flush()
        if durable:
            os.fsync(f.fileno())
