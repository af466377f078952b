"""The chat prompt a model sees each step: the task, recent actions, tabs, the page (and the marked screenshot)."""

from __future__ import annotations

from typing import Any, Literal

from envs.web.actions import GRAMMAR_HELP

SYSTEM_PROMPT = (
    "You are a web agent. You see a web page as an accessibility tree whose elements carry ids like [12]"
    " (and, when an image is shown, the same ids as numbered boxes). Complete the task in a few actions.\n"
    "Reply as 'Thought: <your reasoning> Action: <one action>'. Actions: " + GRAMMAR_HELP + "\n"
    "Always finish with stop [answer]: the information asked for, or, when the task asks you to do something,"
    " a short account of what you did (as PAE asks, so a judge can check it against the screenshots)."
)


def chat_prompt(
    obs: dict[str, Any],
    history: list[dict[str, Any]],
    *,
    max_tree_chars: int,
    history_len: int,
    view: Literal["tree", "elements"],
    vision: bool,
) -> tuple[list[dict[str, Any]], list[Any]]:
    """(messages, images) for one observation; `history` is the env's list of past steps."""
    tree = obs["axtree"]
    if len(tree) > max_tree_chars:
        tree = tree[:max_tree_chars] + "\n... (tree cut)"
    recent = history[-history_len:] if history_len else []
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
    if view == "elements":  # PAE's agent input: the labelled elements beside the boxes
        listed = [f"[{e['id']}] <{e['tag'] or e['role']}> {e['name']}".rstrip() for e in obs["elements"]]
        lines.append("Labelled elements:\n" + "\n".join(listed))
    else:
        lines.append("Accessibility tree:\n" + tree)
    content: list[dict[str, Any]] = [{"type": "text", "text": "\n".join(lines)}]
    images: list[Any] = []
    if vision and obs["som"] is not None:
        content.append({"type": "image"})
        images.append(obs["som"])
    messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": content}]
    return messages, images
