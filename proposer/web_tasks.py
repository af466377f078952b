"""LLM task proposer for web sites (PAE's proposer).

A model is shown a site's name, description and start URL (optionally a homepage screenshot, or user
demonstrations instead of the description) and asked for N tasks as JSON lines, after a one-shot exchange
for an example site that shows that format (a 135M model wrote no parsable line without it). Its reply is untrusted: it
is read with `json.loads` only, each task is validated, and tasks are dropped when they are duplicates or
near-duplicates, need a login the site does not offer, or depend on the current time or the user's
location. Kept tasks come out in the WebArena task format, scored by the judge, with their provenance.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent_rl.backends.base import Backend, ChatPrompt, SamplingParams


@dataclass
class SiteContext:
    name: str
    start_url: str
    description: str = ""
    has_login: bool = False
    screenshot: Any = None  # PIL image or PNG path of the homepage
    demonstrations: list[str] = field(default_factory=list)  # user demos, one text each
    example_task: str = ""


@dataclass
class ProposerSettings:
    n_tasks: int = 25
    temperature: float = 1.0
    max_new_tokens: int = 2048
    seed: int = 0
    near_duplicate_ratio: float = 0.9  # difflib ratio at or above which two intents count as the same task
    replies_per_site: int = 1  # samples of the same request, pooled: a small model writes a line or two each


class ProposedTask(BaseModel):
    """One line of the proposer's reply."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    intent: str = Field(min_length=8, max_length=500)
    start_url: str | None = None
    steps: int | None = Field(default=None, ge=1, le=30)


NEEDS_LOGIN = re.compile(
    r"\b(log ?in|sign ?in|sign ?up|my account|my orders?|my profile|my cart|password|register)\b",
    re.IGNORECASE,
)
TIME_OR_PLACE = re.compile(
    r"\b(today|tonight|tomorrow|yesterday|right now|current(ly)? (time|date|weather)|this (week|month|year)|"
    r"near me|nearby|my (location|city|area)|where i am|local (weather|time))\b",
    re.IGNORECASE,
)


EXAMPLE_SITE = SiteContext(
    name="bookshop",
    start_url="http://bookshop.example/",
    description="An online bookshop: books by genre with authors, prices and reader reviews.",
    example_task="What is the price of the cheapest cookbook?",
)
EXAMPLE_REPLY = "\n".join(
    json.dumps(task)
    for task in (
        {"intent": "Find the author of the best-reviewed science fiction book", "steps": 4},
        {"intent": "How many reviews does the book 'Salt and Stone' have?", "steps": 3},
    )
)  # the one-shot answer: small models copy its format, one JSON object per line


def _request(site: SiteContext, n_tasks: int) -> str:
    about = (
        "Here are demonstrations of what users do on it:\n" + "\n---\n".join(site.demonstrations)
        if site.demonstrations
        else f"Description: {site.description or '(none)'}"
    )
    rules = [
        "each task takes 3 to 7 steps in a browser",
        "success can be checked from the last 3 screenshots and the agent's final answer",
        "the task needs no login" if not site.has_login else "a task may use the logged-in account",
        "the task does not depend on the current date, time or the user's location",
    ]
    return (
        f"You write tasks for a web agent on the site '{site.name}' (start page {site.start_url}).\n{about}\n"
        + (f"An example task: {site.example_task}\n" if site.example_task else "")
        + f"Write {n_tasks} diverse, realistic tasks. Rules: "
        + "; ".join(rules)
        + '.\nAnswer with one JSON object per line and nothing else: {"intent": "...", "steps": 4}'
    )


def proposer_prompt(site: SiteContext, settings: ProposerSettings) -> ChatPrompt:
    """The request for `site`, after a one-shot exchange for another site that shows the answer's format."""
    text = _request(site, settings.n_tasks)
    images = [site.screenshot] if site.screenshot is not None else []
    content: Any = [{"type": "image"}, {"type": "text", "text": text}] if images else text
    messages = [
        {"role": "user", "content": _request(EXAMPLE_SITE, 2)},
        {"role": "assistant", "content": EXAMPLE_REPLY},
        {"role": "user", "content": content},
    ]
    return ChatPrompt(messages=messages, images=images)


def parse_proposals(reply: str) -> tuple[list[ProposedTask], list[str]]:
    """Tasks from a reply of JSON lines (a JSON array or fenced block also works), and why lines failed."""
    body = re.sub(r"```(?:json)?", "", reply or "")
    try:
        whole = json.loads(body)
        candidates = whole if isinstance(whole, list) else [whole]
    except json.JSONDecodeError:
        candidates = [line.strip().rstrip(",") for line in body.splitlines() if line.strip().startswith("{")]
    tasks, problems = [], []
    for candidate in candidates:
        try:
            item = json.loads(candidate) if isinstance(candidate, str) else candidate
            tasks.append(ProposedTask.model_validate(item))
        except (json.JSONDecodeError, ValidationError) as err:
            problems.append(f"{str(candidate)[:80]!r}: {str(err).splitlines()[0]}")
    return tasks, problems


def filter_tasks(
    tasks: list[ProposedTask], site: SiteContext, near_duplicate_ratio: float
) -> tuple[list[ProposedTask], dict[str, int]]:
    kept: list[ProposedTask] = []
    dropped = {"duplicate": 0, "needs_login": 0, "time_or_location": 0}
    seen: list[str] = []
    for task in tasks:
        key = " ".join(re.findall(r"\w+", task.intent.lower()))
        if any(difflib.SequenceMatcher(None, key, other).ratio() >= near_duplicate_ratio for other in seen):
            dropped["duplicate"] += 1
        elif not site.has_login and NEEDS_LOGIN.search(task.intent):
            dropped["needs_login"] += 1
        elif TIME_OR_PLACE.search(task.intent):
            dropped["time_or_location"] += 1
        else:
            kept.append(task)
            seen.append(key)
    return kept, dropped


def to_webarena(
    task: ProposedTask, site: SiteContext, task_id: int, provenance: dict[str, Any]
) -> dict[str, Any]:
    return {
        "sites": [site.name],
        "task_id": task_id,
        "require_login": False,
        "storage_state": None,
        "start_url": task.start_url or site.start_url,
        "geolocation": None,
        "intent_template": task.intent,
        "instantiation_dict": {},
        "intent": task.intent,
        "require_reset": False,
        "eval": {
            "eval_types": [],  # proposed tasks have no reference: the judge scores them
            "reference_answers": None,
            "reference_url": "",
            "program_html": [],
        },
        "evaluator": "judge",
        "provenance": provenance,
    }


def propose_tasks(
    backend: Backend, sites: list[SiteContext], settings: ProposerSettings, start_id: int = 0
) -> dict[str, Any]:
    """One batched call over all sites (`replies_per_site` samples each). Returns the task set: tasks, per-site
    drop counts and the settings."""
    params = SamplingParams(
        max_new_tokens=settings.max_new_tokens, temperature=settings.temperature, seed=settings.seed
    )
    prompts = [proposer_prompt(site, settings) for site in sites]
    k = settings.replies_per_site
    replies = backend.generate([prompt for prompt in prompts for _ in range(k)], params)
    tasks, report = [], {}
    for n, (site, prompt) in enumerate(zip(sites, prompts, strict=True)):
        parsed, problems = [], []
        for reply in replies[n * k : (n + 1) * k]:
            more, bad = parse_proposals(reply.text)
            parsed, problems = parsed + more, problems + bad
        kept, dropped = filter_tasks(parsed, site, settings.near_duplicate_ratio)
        provenance = {
            "proposer": getattr(backend, "name", type(backend).__name__),
            "prompt_sha1": hashlib.sha1(json.dumps(prompt.messages, default=str).encode()).hexdigest(),
            "from_demonstrations": bool(site.demonstrations),
            "created": round(time.time()),
        }
        for task in kept[: settings.n_tasks]:
            tasks.append(to_webarena(task, site, start_id + len(tasks), provenance))
        report[site.name] = {"parsed": len(parsed), "unparsable": len(problems), "kept": len(kept), **dropped}
    return {"settings": asdict(settings), "report": report, "tasks": tasks}


def top_up(task_set: dict[str, Any], site: str, bundled: list[dict[str, Any]], quota: int) -> int:
    """Fill `site`'s share of `task_set` up to `quota` tasks with whole bundled task configs; return how many.

    A bundled task keeps its own start URL (two-tab tasks start on both tabs) and its rule evaluators, so its
    episodes can be judged like proposed ones and the judge checked against the rule score.
    """
    have = sum(t["sites"] == [site] for t in task_set["tasks"])
    extra = [t for t in bundled if t.get("sites") == [site] and not t.get("require_login")][
        : max(0, quota - have)
    ]
    for task in extra:
        task_set["tasks"].append(
            {
                **task,
                "task_id": len(task_set["tasks"]),
                "evaluator": "judge",
                "provenance": {
                    "proposer": "bundled",
                    "bundled_task_id": task["task_id"],
                    "from_demonstrations": False,
                },
            }
        )
    task_set["report"].setdefault(site, {})["topped_up"] = len(extra)
    return len(extra)


def save_task_set(task_set: dict[str, Any], path: str | Path) -> Path:
    """Tasks as a WebArena-style JSON list; generation settings and drop counts beside it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(task_set["tasks"], indent=2))
    meta = {k: v for k, v in task_set.items() if k != "tasks"}
    path.with_suffix(".meta.json").write_text(json.dumps(meta, indent=2))
    return path
