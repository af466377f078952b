"""Summaries of an evaluation: success by site and by eval type (JSON), and an HTML report with each
episode's screenshots and actions."""

from __future__ import annotations

import html
from collections import defaultdict
from pathlib import Path
from typing import Any


def _rate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    wins = sum(1 for r in rows if r.get("success"))
    return {"tasks": len(rows), "success": wins, "rate": round(wins / len(rows), 4) if rows else 0.0}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by_site: dict[str, list] = defaultdict(list)
    by_type: dict[str, list] = defaultdict(list)
    for row in rows:
        by_site["+".join(row["sites"])].append(row)
        by_type["+".join(row["eval_types"])].append(row)
    return {
        "overall": _rate(rows),
        "by_site": {k: _rate(v) for k, v in sorted(by_site.items())},
        "by_eval_type": {k: _rate(v) for k, v in sorted(by_type.items())},
        "errors": {str(r["task_id"]): r["error"] for r in rows if r.get("error")},
    }


def _table(title: str, groups: dict[str, dict[str, Any]]) -> str:
    body = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{v['tasks']}</td><td>{v['success']}</td><td>{v['rate']:.1%}</td></tr>"
        for k, v in groups.items()
    )
    return (
        f"<h2>{title}</h2><table><tr><th></th><th>tasks</th><th>success</th><th>rate</th></tr>{body}</table>"
    )


def _episode(row: dict[str, Any]) -> str:
    shots = row.get("screenshots", [])
    mark = "pass" if row.get("success") else "fail"
    items = []
    for i, step in enumerate([{"action": "(start)", "error": "", "url": ""}, *row.get("steps", [])]):
        shot = f'<img src="{html.escape(shots[i])}" loading="lazy">' if i < len(shots) else ""
        error = f'<div class="err">{html.escape(step["error"])}</div>' if step.get("error") else ""
        items.append(
            f"<li><code>{html.escape(str(step['action']))}</code> <small>{html.escape(step.get('url', ''))}</small>"
            f"{error}{shot}</li>"
        )
    error = f'<p class="err">error: {html.escape(str(row["error"]))}</p>' if row.get("error") else ""
    return (
        f'<details class="{mark}"><summary>[{mark}] task {html.escape(str(row["task_id"]))} '
        f"({html.escape('+'.join(row['sites']))}, {html.escape('+'.join(row['eval_types']))}): "
        f"{html.escape(row['intent'])}</summary><p>answer: <code>{html.escape(str(row.get('answer')))}</code>, "
        f"score {row.get('score')}</p>{error}<ol>{''.join(items)}</ol></details>"
    )


def write_html(rows: list[dict[str, Any]], summary: dict[str, Any], path: Path) -> None:
    overall = summary["overall"]
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>WebArena evaluation</title><style>
body {{ font-family: sans-serif; margin: 2em; }} table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; }} img {{ max-width: 640px; display: block; margin: 4px 0; }}
.pass summary {{ color: #1a7f37; }} .fail summary {{ color: #cf222e; }} .err {{ color: #cf222e; }}
</style></head><body><h1>WebArena evaluation</h1>
<p>{overall["success"]} / {overall["tasks"]} tasks succeeded ({overall["rate"]:.1%}).</p>
{_table("By site", summary["by_site"])}{_table("By eval type", summary["by_eval_type"])}
<h2>Episodes</h2>{"".join(_episode(r) for r in rows)}</body></html>"""
    path.write_text(page)
