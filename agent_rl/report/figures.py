"""Success-against-compute plots and final-number tables (Markdown and HTML) for branch comparisons.

`curves` maps a branch label to points `{"flops": float, "step": int, "results": {setting: metrics}}`, the
first point being the shared initial checkpoint (0 FLOPs).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
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


def plot_success_vs_compute(
    curves: dict[str, list[dict[str, Any]]],
    settings: list[str],
    out: Path,
    training: dict[str, list[dict[str, Any]]] | None = None,
) -> Path:
    """One panel per setting, one line per branch, success rate (%) against training FLOPs, with each point's
    95% interval as an error bar. `training` maps a branch to its logged checkpoints with its success on its
    own training hands (RL): a last panel shows that curve, where learning that does not carry to held-out
    hands shows first."""
    trained = {label: points for label, points in (training or {}).items() if points}
    panels = len(settings) + bool(trained)
    fig, axes = pyplot().subplots(1, panels, figsize=(4.5 * panels, 3.6), squeeze=False)
    for ax, setting in zip(axes[0], settings, strict=False):
        for label, points in curves.items():
            xs = [p["flops"] for p in points]
            ys = [100 * p["results"][setting]["success_rate"] for p in points]
            bounds = [p["results"][setting].get("success_rate_ci95", [math.nan] * 2) for p in points]
            below = [y - 100 * low for y, (low, _) in zip(ys, bounds, strict=True)]
            above = [100 * high - y for y, (_, high) in zip(ys, bounds, strict=True)]
            ax.errorbar(xs, ys, yerr=[below, above], marker="o", capsize=3, label=label)
        _decorate(ax, f"held-out hands: {SETTING_TITLES.get(setting, setting)}")
    if trained:
        ax = axes[0][-1]
        for label, points in trained.items():
            ax.plot(
                [p["flops"] for p in points],
                [100 * p["train_success"] for p in points],
                marker="o",
                label=label,
            )
        temperature = next(iter(trained.values()))[0].get("train_temperature")
        _decorate(ax, f"{' and '.join(trained)} training hands (sampled, T={temperature})")
    return save_figure(fig, out)


def _decorate(ax: Any, title: str) -> None:
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("training compute (FLOPs)")
    ax.set_ylabel("episode success (%)")
    ax.set_ylim(bottom=0)  # from zero, so that a change of a point or two does not look like a leap
    ax.grid(alpha=0.3)
    ax.legend()


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


def by_attempt_table(curves: dict[str, list[dict[str, Any]]], settings: list[str]) -> list[list[str]]:
    """Header + rows: success (%) within 1..k attempts of the init and each branch's final checkpoint, so the
    effect of the revision loop (feedback after a failed attempt) can be read off."""
    init = next(iter(curves.values()))[0]["results"]
    attempts = list(init[settings[0]].get("success_within_attempts", {}))
    rows = [["checkpoint", "setting", *[f"within {k}" for k in attempts]]]
    finals = [("init", init)] + [(label, points[-1]["results"]) for label, points in curves.items()]
    for label, results in finals:
        for setting in settings:
            within = results[setting].get("success_within_attempts", {})
            rows.append(
                [label, SETTING_TITLES.get(setting, setting), *[_pct(100 * within[k]) for k in attempts]]
            )
    return rows


def verdicts(curves: dict[str, list[dict[str, Any]]], settings: list[str]) -> list[str]:
    """One sentence per setting and branch: did the branch move success up or down against the init? A move
    counts only where the two 95% intervals do not overlap; otherwise the sentence says it is within noise."""
    init = next(iter(curves.values()))[0]["results"]
    lines = []
    for setting in settings:
        title = SETTING_TITLES.get(setting, setting)
        for label, points in curves.items():
            before, after = init[setting], points[-1]["results"][setting]
            lines.append(
                f"{label}, {title}: success {_with_interval(before)} at init, {_with_interval(after)} after "
                f"{label}: {_direction(before, after)}."
            )
    labels = list(curves)
    for setting in settings:  # the study's claim compares the branches with each other, too
        for i, first in enumerate(labels):
            for second in labels[i + 1 :]:
                a, b = curves[first][-1]["results"][setting], curves[second][-1]["results"][setting]
                lines.append(
                    f"{second} against {first}, {SETTING_TITLES.get(setting, setting)}: "
                    f"{_with_interval(b)} against {_with_interval(a)}: {_direction(a, b, 'higher', 'lower')}."
                )
    return lines


def _with_interval(metrics: dict[str, Any]) -> str:
    low, high = metrics.get("success_rate_ci95", [math.nan, math.nan])
    return f"{100 * metrics['success_rate']:.1f}% (95% CI {100 * low:.1f}–{100 * high:.1f})"


def _direction(before: dict[str, Any], after: dict[str, Any], up: str = "up", down: str = "down") -> str:
    low_b, high_b = before.get("success_rate_ci95", [math.nan, math.nan])
    low_a, high_a = after.get("success_rate_ci95", [math.nan, math.nan])
    if low_a > high_b:
        return f"{up}, beyond the intervals"
    if high_a < low_b:
        return f"{down}, beyond the intervals"
    change = 100 * (after["success_rate"] - before["success_rate"])
    return f"{change:+.1f} points, within noise (the intervals overlap)"


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


def _html_table(rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows[1:])
    return f"<table><tr>{head}</tr>{body}</table>"


def _html_list(lines: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>"


def html_page(
    title: str,
    rows: list[list[str]],
    image: str,
    notes: list[str],
    findings: Sequence[str] = (),
    tables: dict[str, list[list[str]]] | None = None,
) -> str:
    """The report page: the plot, the findings in sentences, the final-number table, more tables, notes."""
    more = "".join(f"<h2>{html.escape(name)}</h2>{_html_table(t)}" for name, t in (tables or {}).items())
    said = f"<h2>What moved</h2>{_html_list(list(findings))}" if findings else ""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:4px 8px;text-align:right}td:first-child{text-align:left}</style>"
        f"</head><body><h1>{html.escape(title)}</h1><img src='{html.escape(image)}' alt='success vs compute'>"
        f"{said}<h2>Final numbers</h2>{_html_table(rows)}{more}{_html_list(notes)}</body></html>"
    )
