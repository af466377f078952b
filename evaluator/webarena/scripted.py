"""Scripted agents: replay a bundled task's oracle (or its deliberately wrong variant) through the env.

The oracles in `envs.web.oracles` name elements by ARIA role and accessible name; at each step the agent
finds that element's id in the observation (the first match in tree order, as WebArena's lowest id) and
emits the WebArena action text, so the replay goes through the same parser and browser code as a model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def find_id(obs: dict[str, Any], role: str, name: str) -> int | None:
    """The id of the first node with ROLE and accessible NAME in the observation's tree."""
    wanted = _norm(name)
    for node_id, node_role, node_name in obs["nodes"]:
        if node_role == role and _norm(node_name) == wanted:
            return node_id
    return None


def action_text(step: dict[str, Any], obs: dict[str, Any]) -> str:
    """One oracle step as WebArena action text, resolved against the current observation."""
    kind = step["action"]
    if kind == "goto":
        return f"goto [{step['url']}]"
    if kind == "tab_focus":
        return f"tab_focus [{step['index']}]"
    if kind == "stop":
        return f"stop [{step.get('answer', '')}]"
    element = find_id(obs, step["role"], step["name"])
    if element is None:  # the env reports the bad id back, and the replay shows where it went wrong
        return f"{kind} [0]"
    if kind == "type":
        return f"type [{element}] [{step['text']}] [{1 if step.get('enter') else 0}]"
    return f"click [{element}]"


_VERBS = {"goto": ("open", "opened"), "tab_focus": ("switch", "switched"), "type": ("type", "typed")}


def _phrase(step: dict[str, Any], past: bool) -> str:
    """What STEP does ("type 'x' into the searchbox 'Search' and press Enter"), or did with PAST."""
    kind = step["action"]
    verb = _VERBS.get(kind, ("click", "clicked"))[past]
    if kind == "goto":
        return f"{verb} {step['url']}"
    if kind == "tab_focus":
        return f"{verb} to tab {step['index']}"
    target = f"the {step['role']} '{step['name']}'"
    if kind == "type":
        enter = f" and {'pressed' if past else 'press'} Enter" if step.get("enter") else ""
        return f"{verb} '{step['text']}' into {target}{enter}"
    return f"{verb} {target}"


def summary(done: list[dict[str, Any]]) -> str:
    """What the steps DONE did, as the answer of a task that asks for an action (PAE's agent always answers)."""
    return "Done: I " + ", then ".join(_phrase(step, past=True) for step in done) + "." if done else ""


def thought(step: dict[str, Any]) -> str:
    """A short, true account of the oracle's STEP."""
    if step["action"] != "stop":
        return f"I {_phrase(step, past=False)}."
    if step.get("answer"):
        return "The page shows what the task asks for, so I answer."
    return "The task is done, so I say what I did."


class ScriptedAgent:
    """Plays a fixed list of oracle steps, one per observation, in the agent's own format: each reply is
    "Thought: ... Action: ...", and a task that asks for an action ends with an answer saying what was done."""

    def __init__(self, steps: list[dict[str, Any]]) -> None:
        self.steps = list(steps)
        self.index = 0

    def act(self, obs: dict[str, Any]) -> str:
        if self.index >= len(self.steps):
            return "stop []"
        step = self.steps[self.index]
        said = thought(step)
        if step["action"] == "stop" and not step.get("answer"):
            step = dict(step, answer=summary(self.steps[: self.index]))
        self.index += 1
        return f"Thought: {said} Action: {action_text(step, obs)}"


def oracle_agent(task: Any, urls: Mapping[str, str], seed: int = 0) -> ScriptedAgent:
    from envs.web.oracles import oracle_actions

    return ScriptedAgent(oracle_actions(task.task_id, urls, seed))


def wrong_agent(task: Any, urls: Mapping[str, str], seed: int = 0) -> ScriptedAgent:
    from envs.web.oracles import wrong_actions

    return ScriptedAgent(wrong_actions(task, urls, seed))
