"""Success-against-compute plots and final-number tables (Markdown and HTML) for branch comparisons.

`curves` maps a branch label to points `{"flops": float, "step": int, "results": {setting: metrics}}`, the
first point being the shared initial checkpoint (0 FLOPs).
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

SETTING_TITLES = {
    "id": "in distribution",
    "rule_ood": "rule OOD (J/Q/K = 11/12/13)",
    "visual_ood": "visual OOD (red suits)",
}


def pyplot() -> Any:
    """matplotlib's pyplot on the file-only Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, out: Path) -> Path:
    """Lay out, write (PNG at 120 dpi) and close FIG."""
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    pyplot().close(fig)
    return out


def plot_success_vs_compute(curves: dict[str, list[dict[str, Any]]], settings: list[str], out: Path) -> Path:
    """One panel per setting, one line per branch, success rate (%) against training FLOPs."""
    fig, axes = pyplot().subplots(1, len(settings), figsize=(4.5 * len(settings), 3.6), squeeze=False)
    for ax, setting in zip(axes[0], settings, strict=True):
        for label, points in curves.items():
            xs = [p["flops"] for p in points]
            ys = [100 * p["results"][setting]["success_rate"] for p in points]
            ax.plot(xs, ys, marker="o", label=label)
        ax.set_title(SETTING_TITLES.get(setting, setting))
        ax.set_xlabel("training compute (FLOPs)")
        ax.set_ylabel("episode success (%)")
        ax.grid(alpha=0.3)
        ax.legend()
    return save_figure(fig, out)


def _metrics(settings: list[str], vision: bool) -> list[tuple[str, str, str]]:
    rows = [(s, "success_rate", f"{SETTING_TITLES.get(s, s)}: success %") for s in settings]
    if vision:
        rows += [(s, "recognition_accuracy", f"{SETTING_TITLES.get(s, s)}: recognition %") for s in settings]
    return rows


def final_table(
    curves: dict[str, list[dict[str, Any]]], settings: list[str], vision: bool
) -> list[list[str]]:
    """Header + rows: init value, then each branch's final value with its change from init (success and
    recognition in % and points of %, mean episode reward as is)."""
    labels = list(curves)
    header = ["metric", "init", *[f"{label} (final, change)" for label in labels]]
    rows = [header]
    init = next(iter(curves.values()))[0]["results"]
    for setting, key, title in _metrics(settings, vision):
        base = 100 * init[setting][key]
        row = [title, _pct(base)]
        for label in labels:
            final = 100 * curves[label][-1]["results"][setting][key]
            row.append(f"{_pct(final)} ({_signed(final - base)})")
        rows.append(row)
    for setting in settings:  # reward moves before success does on a small model: show it beside
        base = init[setting].get("mean_reward", math.nan)
        row = [f"{SETTING_TITLES.get(setting, setting)}: mean episode reward", _num(base)]
        for label in labels:
            final = curves[label][-1]["results"][setting].get("mean_reward", math.nan)
            row.append(f"{_num(final)} ({_signed(final - base)})")
        rows.append(row)
    rows.append(["training compute (FLOPs)", "0", *[f"{curves[label][-1]['flops']:.3g}" for label in labels]])
    return rows


def _pct(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1f}"


def _num(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}"


def _signed(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:+.1f}"


def markdown_table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines)


def html_page(title: str, rows: list[list[str]], image: str, notes: list[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows[1:])
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:4px 8px;text-align:right}td:first-child{text-align:left}</style>"
        f"</head><body><h1>{html.escape(title)}</h1><img src='{html.escape(image)}' alt='success vs compute'>"
        f"<table><tr>{head}</tr>{body}</table><ul>{items}</ul></body></html>"
    )
