"""How well a judge agrees with ground truth (e.g. the WebArena rule evaluators' scores)."""

from __future__ import annotations

from collections.abc import Sequence


def agreement_report(judge: Sequence[bool], truth: Sequence[bool]) -> dict[str, float | int]:
    """Accuracy, false-positive and false-negative rates, and Cohen's kappa of judge verdicts vs truth.

    FPR = judged success among true failures; FNR = judged failure among true successes. A rate whose
    denominator is empty is reported as 0.0, with the counts beside it so the reader can tell.
    """
    if len(judge) != len(truth):
        raise ValueError(f"{len(judge)} verdicts but {len(truth)} ground-truth scores")
    n = len(truth)
    tp = sum(1 for j, t in zip(judge, truth, strict=True) if j and t)
    tn = sum(1 for j, t in zip(judge, truth, strict=True) if not j and not t)
    fp = sum(1 for j, t in zip(judge, truth, strict=True) if j and not t)
    fn = n - tp - tn - fp
    accuracy = (tp + tn) / n if n else 0.0
    judged_yes, true_yes = (tp + fp) / n if n else 0.0, (tp + fn) / n if n else 0.0
    chance = judged_yes * true_yes + (1 - judged_yes) * (1 - true_yes)
    kappa = (accuracy - chance) / (1 - chance) if chance < 1 else 1.0
    return {
        "n": n,
        "true_positive": tp,
        "true_negative": tn,
        "false_positive": fp,
        "false_negative": fn,
        "accuracy": accuracy,
        "false_positive_rate": fp / (fp + tn) if fp + tn else 0.0,
        "false_negative_rate": fn / (fn + tp) if fn + tp else 0.0,
        "cohens_kappa": kappa,
    }


def best_threshold(confidences: Sequence[float | None], truth: Sequence[bool]) -> dict[str, float] | None:
    """The log-odds threshold (success when confidence > threshold) that agrees best with `truth`: highest
    accuracy, ties to the threshold nearest 0. Candidates lie midway between neighbouring confidences.
    Episodes without a confidence (never asked: no answer) are left out. Tune it on training episodes
    only; its accuracy on them is optimistic."""
    pairs = [(c, t) for c, t in zip(confidences, truth, strict=True) if c is not None]
    if not pairs:
        return None
    values = sorted({c for c, _ in pairs})
    candidates = (
        [values[0] - 1.0]
        + [(a + b) / 2 for a, b in zip(values, values[1:], strict=False)]
        + [values[-1] + 1.0]
    )

    def accuracy(threshold: float) -> float:
        return sum((c > threshold) == t for c, t in pairs) / len(pairs)

    best = max(candidates, key=lambda th: (accuracy(th), -abs(th)))
    return {"threshold": round(best, 4), "accuracy": accuracy(best)}
