"""Reading a verdict out of a judge's reply.

The judge is asked to end with a line `Verdict: SUCCESS` or `Verdict: NOT SUCCESS`. Only the judge's own
reply is read, never the page or the answer it was shown. The last `Verdict:` line decides; without one, the
last non-empty line must be a bare verdict. Within the deciding line "NOT SUCCESS" is checked before
"SUCCESS" (as PAE does), so "not success" never reads as success. Lines quoted from the prompt's untrusted
blocks (prefixed with QUOTE) are skipped: they are page text repeated, not the judge's word. Anything else is unparsable: a failure,
flagged, so a judge that rambles (or repeats an injected instruction mid-reply) cannot score an episode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

QUOTE = (
    "│ "  # prefix of quoted untrusted lines in judge prompts; such lines in a reply are not the judge's own
)
_VERDICT_LINE = re.compile(r"^\W*verdict\W*:\s*(.*)$", re.IGNORECASE)
_NOT_SUCCESS = re.compile(r"\bnot[\s_-]*success", re.IGNORECASE)
_SUCCESS = re.compile(r"\bsuccess", re.IGNORECASE)
_BARE = re.compile(r"^\W*(not[\s_-]*)?success\W*$", re.IGNORECASE)


@dataclass(frozen=True)
class Verdict:
    success: bool
    parsed: bool  # False: the reply held no readable verdict and was scored as failure
    reason: str
    raw: str
    confidence: float | None = None  # a scored verdict's log-odds of SUCCESS over NOT SUCCESS


def _grade(line: str) -> bool | None:
    if _NOT_SUCCESS.search(line):
        return False
    if _SUCCESS.search(line):
        return True
    return None


def parse_verdict(reply: str) -> Verdict:
    lines = [line.strip() for line in (reply or "").splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith(QUOTE.strip())]
    verdict_lines = [m.group(1) for m in map(_VERDICT_LINE.match, lines) if m]
    deciding = (
        verdict_lines[-1] if verdict_lines else (lines[-1] if lines and _BARE.match(lines[-1]) else None)
    )
    grade = None if deciding is None else _grade(deciding)
    reason_lines = [line for line in lines if not _VERDICT_LINE.match(line)]
    reason = " ".join(reason_lines)[:1000]
    if grade is None:
        return Verdict(
            success=False, parsed=False, reason=reason or "no verdict in the judge's reply", raw=reply
        )
    return Verdict(success=grade, parsed=True, reason=reason, raw=reply)
