"""The chat prompt a model sees each step: the task, recent actions, tabs, the page (and the marked screenshot).

The prompt teaches one action grammar (`WebEnvConfig.grammar`); the parser accepts both. The page is shown as
the accessibility tree cut to `max_tree_chars`, as PAE's list of labelled elements, or in the compact view
for small models: named nodes only, one line each, cut to `max_obs_tokens`.
"""

from __future__ import annotations

import re
from typing import Any

from envs.web.actions import GRAMMARS
from envs.web.config import PromptSettings

_FINISH = {
    "webarena": "stop [answer]",
    "pae": "ANSWER; answer",
}
_TOKEN = re.compile(r"\w+|[^\w\s]")
# Nodes that carry no text an agent needs (bullets, the page root, whose title the URL line already gives).
_DECORATION = {"ListMarker", "RootWebArea", "LineBreak", "separator"}


def system_prompt(grammar: str = "webarena") -> str:
    finish = _FINISH[grammar]
    return (
        "You are a web agent. You see a web page as a list of elements whose ids look like [12]"
        " (and, when an image is shown, the same ids as numbered boxes). Complete the task in a few actions.\n"
        f"Reply as 'Thought: <your reasoning> Action: <one action>'. Actions: {GRAMMARS[grammar]}.\n"
        f"Always finish with {finish}: the information asked for, or, when the task asks you to do something,"
        " a short account of what you did (as PAE asks, so a judge can check it against the screenshots)."
    )


SYSTEM_PROMPT = system_prompt()


def approx_tokens(text: str) -> int:
    """Words and punctuation marks: close to (and mostly below) a BPE tokenizer's count on page text."""
    return len(_TOKEN.findall(text))


def compact_view(nodes: list[Any], max_tokens: int) -> str:
    """`[id] role 'name'` for every named node, skipping decoration and a node whose text the next one
    repeats (a table cell around its link, a label before its field); cut to MAX_TOKENS."""
    lines, used = [], 0
    for i, (node_id, role, name) in enumerate(nodes):
        if not name or role in _DECORATION:
            continue
        if i + 1 < len(nodes) and nodes[i + 1][2] == name:
            continue
        line = f"[{node_id}] {role} {name!r}"
        used += approx_tokens(line)
        if used > max_tokens:
            lines.append("... (page cut)")
            break
        lines.append(line)
    return "\n".join(lines)


def _page(obs: dict[str, Any], config: PromptSettings) -> str:
    if config.prompt_view == "elements":  # PAE's agent input: the labelled elements beside the boxes
        listed = [f"[{e['id']}] <{e['tag'] or e['role']}> {e['name']}".rstrip() for e in obs["elements"]]
        return "Labelled elements:\n" + "\n".join(listed)
    if config.prompt_view == "compact":
        return "Page:\n" + compact_view(obs["nodes"], config.max_obs_tokens)
    tree = obs["axtree"]
    if len(tree) > config.max_tree_chars:
        tree = tree[: config.max_tree_chars] + "\n... (tree cut)"
    return "Accessibility tree:\n" + tree


def chat_prompt(
    obs: dict[str, Any], recent: list[dict[str, Any]], config: PromptSettings, vision: bool = False
) -> tuple[list[dict[str, Any]], list[Any]]:
    """(messages, images) for one observation; `recent` are the past steps to show (the env's last few)."""
    lines = [f"Task: {obs['intent']}", f"URL: {obs['url']}"]
    if len(obs["tabs"]) > 1:
        lines.append("Tabs: " + " | ".join(f"[{i}] {u}" for i, u in enumerate(obs["tabs"])))
    if recent:
        lines.append("Previous actions:")
        lines += [
            f"- {h['action'].strip()[-200:]}" + (f" (error: {h['error']})" if h["error"] else "")
            for h in recent
        ]
    if obs["error"]:
        lines.append(f"Last action error: {obs['error']}")
    lines.append(_page(obs, config))
    content: list[dict[str, Any]] = [{"type": "text", "text": "\n".join(lines)}]
    images: list[Any] = []
    if vision and obs["som"] is not None:
        content.append({"type": "image"})
        images.append(obs["som"])
    messages = [
        {"role": "system", "content": system_prompt(config.grammar)},
        {"role": "user", "content": content},
    ]
    return messages, images
