"""WebArena's rule evaluators: string_match, url_match and program_html. The score is their product.

`page` is anything with the sync Playwright page calls used here (`url`, `goto`, `content`, `evaluate`):
a sync Playwright `Page`, or `WebEnv.page`. `document.…` locators are JavaScript run inside the page by the
browser (WebArena's published design); `func:` helpers come from `envs.web.sites.helpers` by name, with
literal arguments only: the text is parsed, never evaluated in Python.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from agent_rl.errors import UserError
from envs.web.sites.helpers import HelperError, call_helper
from evaluator.webarena import judge as judges

EVAL_TYPES = ("string_match", "url_match", "program_html")
_PLACEHOLDER = re.compile(r"__([A-Z_]+)__")


@dataclass
class EvalResult:
    score: float
    details: list[dict[str, Any]] = field(default_factory=list)  # one entry per evaluator

    def as_dict(self) -> dict[str, Any]:
        return {"score": self.score, "details": self.details}


def clean_answer(text: str) -> str:
    """Strip, drop one pair of surrounding quotes, lowercase (WebArena's answer normalisation)."""
    text = str(text).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1].strip()
    return text.lower()


def _tokens(text: str) -> list[str]:
    return re.findall(r"\w+|[^\w\s]", text)


def exact_match(reference: str, answer: str) -> float:
    return float(clean_answer(reference) == clean_answer(answer))


def must_include(reference: str, answer: str, tokenize: bool = False) -> float:
    """`reference` is a substring of `answer`; a one-character reference, with `tokenize`, must be a token."""
    ref, pred = clean_answer(reference), clean_answer(answer)
    if tokenize and len(ref) == 1:
        return float(ref in _tokens(pred))
    return float(ref in pred)


def string_match(config: dict[str, Any], answer: str, judge: Any = None) -> tuple[float, dict[str, Any]]:
    references = config["eval"].get("reference_answers") or {}
    intent = str(config.get("intent", ""))
    score, checks = 1.0, []
    for kind, value in references.items():
        if value is None:
            continue
        if kind == "exact_match":
            part = exact_match(str(value), answer)
        elif kind == "must_include":
            values = [value] if isinstance(value, str) else list(value)
            part = 1.0
            for ref in values:
                part *= must_include(str(ref), answer, tokenize=len(values) == 1)
        elif kind == "fuzzy_match":
            part = _fuzzy(config, intent, value, answer, judge, checks)
        else:
            raise UserError(f"task {config.get('task_id')!r}: unknown reference_answers key {kind!r}")
        checks.append({"kind": kind, "reference": value, "score": part})
        score *= part
    if not checks:
        raise UserError(f"task {config.get('task_id')!r}: string_match needs eval.reference_answers")
    return score, {"answer": answer, "checks": checks}


def _fuzzy(config: dict[str, Any], intent: str, value: Any, answer: str, judge: Any, checks: list) -> float:
    if value == "N/A":
        if clean_answer(answer) == "n/a":
            return 1.0
        part, reply = judges.same_reason(judge, intent, str(config["eval"].get("string_note", "")), answer)
        checks.append({"kind": "judge", "reply": reply})
        return part
    part = 1.0
    for ref in [value] if isinstance(value, str) else list(value):
        if clean_answer(ref) == clean_answer(answer):
            continue  # the same words need no judge
        verdict, reply = judges.fuzzy_match(judge, intent, str(ref), answer)
        checks.append({"kind": "judge", "reference": ref, "reply": reply})
        part *= verdict
    return part


def _host_path(url: str) -> str:
    parts = urlsplit(unquote(url.strip()))
    return (parts.netloc + parts.path).rstrip("/")


def url_match(config: dict[str, Any], final_url: str) -> tuple[float, dict[str, Any]]:
    """Some reference's host+path is in the final URL's host+path, and every reference query key matches."""
    raw = str(config["eval"].get("reference_url") or "")
    references = [r.strip() for r in raw.split("|OR|") if r.strip()]
    if not references:
        raise UserError(f"task {config.get('task_id')!r}: url_match needs eval.reference_url")
    predicted = _host_path(final_url.rstrip("/"))
    base = float(any(_host_path(ref) in predicted for ref in references))
    allowed: dict[str, set[str]] = {}
    for ref in references:
        for key, values in parse_qs(urlsplit(ref).query).items():
            allowed.setdefault(key, set()).update(values)
    got = parse_qs(urlsplit(final_url).query)
    query = float(all(set(got.get(key, [])) & values for key, values in allowed.items()))
    return base * query, {"final_url": final_url, "references": references, "path": base, "query": query}


def _select(page: Any, locator: str, urls: Mapping[str, str], last_url: str) -> str:
    locator = locator.strip()
    if not locator:
        return page.content()
    if locator.startswith("func:"):
        value = call_helper(locator, urls, last_url)  # parsed by name + literal args, never evaluated
    else:  # a JavaScript expression (WebArena's `document.…` form), run by the browser inside the page
        try:
            value = page.evaluate(locator)
        except Exception as err:  # a missing element is "nothing selected", as in WebArena
            if "closed" in str(err):
                raise
            value = ""
    return "" if value is None else str(value)


def program_html(
    config: dict[str, Any], page: Any, final_url: str, urls: Mapping[str, str]
) -> tuple[float, dict[str, Any]]:
    targets = config["eval"].get("program_html") or []
    if not targets:
        raise UserError(f"task {config.get('task_id')!r}: program_html needs eval.program_html targets")
    score, checks = 1.0, []
    for target in targets:
        try:
            part, check = _check_target(target, page, final_url, urls)
        except HelperError as err:  # e.g. the order the helper looks for does not exist: no match
            part, check = (
                0.0,
                {"url": target.get("url"), "locator": target.get("locator", ""), "error": str(err)},
            )
        checks.append({**check, "score": part})
        score *= part
    return score, {"targets": checks}


def _check_target(
    target: dict[str, Any], page: Any, final_url: str, urls: Mapping[str, str]
) -> tuple[float, dict[str, Any]]:
    url = str(target.get("url", "last"))
    if url.startswith("func:"):
        url = call_helper(url, urls, final_url)
    if url == "last":
        url = final_url
    missing = _PLACEHOLDER.search(url)
    if missing:
        raise UserError(
            f"program_html url {url!r} still holds __{missing.group(1)}__; set {missing.group(1)}"
        )
    if page.url != url:
        page.goto(url)
    selected = html.unescape(_select(page, str(target.get("locator", "")), urls, final_url))
    required = target.get("required_contents") or {}
    part = 1.0
    if required.get("exact_match") is not None:
        part *= exact_match(str(required["exact_match"]), selected)
    for item in required.get("must_include") or []:
        options = [alt.strip() for alt in str(item).split("|OR|")]
        part *= float(any(must_include(alt, selected) for alt in options))
    return part, {"url": url, "locator": target.get("locator", ""), "selected": selected[:300]}


def needs_judge(config: Any) -> bool:
    """Whether scoring may call the LLM judge (fuzzy_match, or an N/A answer that is not literally n/a)."""
    if hasattr(config, "model_dump"):
        config = config.model_dump()
    ev = config.get("eval") or {}
    fuzzy = (ev.get("reference_answers") or {}).get("fuzzy_match")
    return "string_match" in ev.get("eval_types", []) and fuzzy is not None


def evaluate_task(
    config: Any,
    final_answer: str | None,
    page: Any,
    judge: Any = None,
    urls: Mapping[str, str] | None = None,
) -> EvalResult:
    """Score a finished episode: the product of the task's evaluators, with each one's details.

    CONFIG is a task dict (or `envs.web.tasks.Task`) with placeholders filled. URLS ({"SHOPPING": url, ...})
    serve the `func:` helpers; by default they come from the environment variables.
    """
    if hasattr(config, "model_dump"):
        config = config.model_dump()
    if urls is None:
        from envs.web.tasks import site_urls

        urls = site_urls()
    ev = config.get("eval") or {}
    kinds = list(ev.get("eval_types") or [])
    unknown = [k for k in kinds if k not in EVAL_TYPES]
    if not kinds or unknown:
        raise UserError(
            f"task {config.get('task_id')!r}: eval_types {kinds!r}; use some of {', '.join(EVAL_TYPES)}"
        )
    answer = final_answer or ""
    final_url = page.url if page is not None else ""
    score, details = 1.0, []
    for kind in kinds:  # program_html last: it may navigate away from the final page
        if kind == "string_match":
            part, detail = string_match(config, answer, judge)
        elif kind == "url_match":
            part, detail = url_match(config, final_url)
        else:
            continue
        details.append({"evaluator": kind, "score": part, **detail})
        score *= part
    if "program_html" in kinds:
        if page is None:
            raise UserError("program_html needs the live page after the episode")
        part, detail = program_html(config, page, final_url, urls)
        details.append({"evaluator": "program_html", "score": part, **detail})
        score *= part
    return EvalResult(score, details)
