"""Agent actions: WebArena's and PAE's grammars parse into one `Action`.

The model's raw text may wrap the action as "Thought: ... Action: ..." (PAE) or end with
"In summary, the next action I will perform is ```click [12]```" (WebArena); both are unwrapped first.
Model output is untrusted text: it is only matched against these patterns, never evaluated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = (
    "click",
    "hover",
    "type",
    "press",
    "scroll",
    "new_tab",
    "tab_focus",
    "close_tab",
    "goto",
    "go_back",
    "go_forward",
    "wait",
    "stop",
)

GRAMMARS = {
    "webarena": "click [id], hover [id], type [id] [text] [0|1] (1 presses Enter after), press [key+comb], "
    "scroll [up|down], new_tab, tab_focus [i], close_tab, goto [url], go_back, go_forward, stop [answer]",
    "pae": "Click [N], Type [N]; text (presses Enter), Scroll [N|WINDOW]; up|down, Wait, GoBack, ANSWER; text",
}
GRAMMAR_HELP = f"WebArena: {GRAMMARS['webarena']}. PAE: {GRAMMARS['pae']}."


class ActionParseError(ValueError):
    """The text is no action of either grammar; the message says what was expected."""


@dataclass(frozen=True)
class Action:
    """One browser action. `element` is an id from the last observation (None for the window)."""

    kind: str
    element: int | None = None
    text: str = ""  # typed text, key combination, url or answer
    enter: bool = False  # press Enter after typing
    direction: str = ""  # "up" or "down" for scroll
    tab: int | None = None

    def __str__(self) -> str:
        parts = [self.kind]
        if self.element is not None:
            parts.append(f"[{self.element}]")
        if self.tab is not None:
            parts.append(f"[{self.tab}]")
        if self.kind in ("type", "press", "goto", "stop"):
            parts.append(f"[{self.text}]")
        if self.kind == "type":
            parts.append(f"[{int(self.enter)}]")
        if self.direction:
            parts.append(f"[{self.direction}]")
        return " ".join(parts)


_FENCE = re.compile(r"```(?:[a-zA-Z]*\n)?(.*?)```", re.S)
_ACTION_LABEL = re.compile(r"action\s*:", re.I)


def extract_action_text(text: str) -> str:
    """The action part of a model reply: the last fenced block, else what follows the last "Action:"."""
    fences = _FENCE.findall(text)
    if fences:
        return fences[-1].strip()
    labels = list(_ACTION_LABEL.finditer(text))
    if labels:
        return text[labels[-1].end() :].strip()
    return text.strip()


def _unbracket(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == "[" and text[-1] == "]":
        return text[1:-1].strip()
    return text


_I = re.I | re.S
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # PAE forms first: their ";" separators tell them apart from WebArena's brackets.
    (re.compile(r"^type\s*\[(\d+)\]\s*;\s*(.*)$", _I), "pae_type"),
    (re.compile(r"^scroll\s*\[?\s*(\d+|window)\s*\]?\s*;\s*\[?\s*(up|down)\s*\]?$", _I), "pae_scroll"),
    (re.compile(r"^answer\s*;\s*(.*)$", _I), "answer"),
    (re.compile(r"^goback$", _I), "go_back"),
    (re.compile(r"^wait$", _I), "wait"),
    (re.compile(r"^google$", _I), "google"),
    # WebArena forms.
    (re.compile(r"^click\s*\[(\d+)\]$", _I), "click"),
    (re.compile(r"^hover\s*\[(\d+)\]$", _I), "hover"),
    (re.compile(r"^type\s*\[(\d+)\]\s*\[(.*?)\](?:\s*\[([01])\])?$", _I), "type"),
    (re.compile(r"^press\s*\[(.+)\]$", _I), "press"),
    (re.compile(r"^scroll\s*\[\s*(?:direction\s*=\s*)?(up|down)\s*\]$", _I), "scroll"),
    (re.compile(r"^new_tab$", _I), "new_tab"),
    (re.compile(r"^tab_focus\s*\[(\d+)\]$", _I), "tab_focus"),
    (re.compile(r"^close_tab$", _I), "close_tab"),
    (re.compile(r"^goto\s*\[(.+)\]$", _I), "goto"),
    (re.compile(r"^go_back$", _I), "go_back"),
    (re.compile(r"^go_forward$", _I), "go_forward"),
    (re.compile(r"^stop\s*\[(.*)\]$", _I), "stop"),
    (re.compile(r"^stop$", _I), "stop"),
]

_KEY_ALIASES = {"ctrl": "Control", "cmd": "Meta", "command": "Meta", "option": "Alt", "return": "Enter"}


def _normalise_keys(keys: str) -> str:
    return "+".join(_KEY_ALIASES.get(k.strip().lower(), k.strip()) for k in keys.split("+"))


def parse_action(text: str) -> Action:
    """Parse raw model text into an `Action`; raise `ActionParseError` for anything else."""
    body = extract_action_text(text)
    # Typed text and answers may span lines; otherwise the first line is the action and the rest is noise.
    first = body.splitlines()[0].strip() if body else ""
    for candidate in (body, first):
        for pattern, name in _PATTERNS:
            match = pattern.match(candidate)
            if match:
                return _build(name, match.groups())
    shown = body if len(body) <= 80 else body[:77] + "..."
    raise ActionParseError(f"cannot parse action {shown!r}; expected one of: {GRAMMAR_HELP}")


def _build(name: str, groups: tuple[str | None, ...]) -> Action:
    if name == "pae_type":
        return Action("type", element=int(groups[0]), text=_unbracket(groups[1] or ""), enter=True)
    if name == "pae_scroll":
        target = groups[0] or ""
        element = None if target.lower() == "window" else int(target)
        return Action("scroll", element=element, direction=(groups[1] or "").lower())
    if name == "answer":
        return Action("stop", text=_unbracket(groups[0] or ""))
    if name == "google":
        return Action("goto", text="https://www.google.com/")
    if name in ("click", "hover"):
        return Action(name, element=int(groups[0] or 0))
    if name == "type":
        return Action("type", element=int(groups[0] or 0), text=groups[1] or "", enter=groups[2] != "0")
    if name == "press":
        return Action("press", text=_normalise_keys(groups[0] or ""))
    if name == "scroll":
        return Action("scroll", direction=(groups[0] or "").lower())
    if name == "tab_focus":
        return Action("tab_focus", tab=int(groups[0] or 0))
    if name == "goto":
        return Action("goto", text=(groups[0] or "").strip())
    if name == "stop":
        return Action("stop", text=(groups[0] or "").strip() if groups else "")
    return Action(name)
