"""WebArena's rule evaluators: string_match, url_match and program_html. The score is their product.

Each follows WebArena's published harness (`evaluation_harness/evaluators.py`) case by case, including its
quirks, which are marked where they are kept. `page` is anything with the sync Playwright page calls used
here (`url`, `goto`, `content`, `evaluate`): a sync Playwright `Page`, or the env's page view.
`document.…` locators are JavaScript run inside the page by the browser (WebArena's design); `func:`
helpers are looked up by name in a helper table, with literal arguments only: the text is parsed, never
evaluated in Python.
"""

from __future__ import annotations

import functools
import html
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

from agent_rl.errors import UserError
from evaluator.webarena import judge as judges
from evaluator.webarena.helpers import HelperError, call_helper
from evaluator.webarena.text import clean_answer

EVAL_TYPES = ("string_match", "url_match", "program_html")
OR_SEP = " |OR| "
URL_RULE = "GOLD in PRED"  # the only `url_note` WebArena knows
_PLACEHOLDER = re.compile(r"__([A-Z_]+)__")
JS_LOCATOR_PREFIXES = ("document.", "[...document.")
# WebArena sleeps 3 s after opening a target; we wait for the load and for 500 ms without a new finished
# request, at most 3 s, so pages that fill themselves in by script are read once they are done.
_SETTLE_JS = """() => new Promise(resolve => {
  const start = performance.now(); let seen = -1, quietSince = start;
  const tick = () => {
    const now = performance.now(), count = performance.getEntriesByType('resource').length;
    if (count !== seen) { seen = count; quietSince = now; }
    if ((document.readyState === 'complete' && now - quietSince >= 500) || now - start >= 3000) resolve(true);
    else setTimeout(tick, 100);
  };
  tick();
})"""


@dataclass
class EvalResult:
    score: float
    details: list[dict[str, Any]] = field(default_factory=list)  # one entry per evaluator

    def as_dict(self) -> dict[str, Any]:
        return {"score": self.score, "details": self.details}


@functools.cache
def _sentence_splitter() -> Callable[[str], list[str]]:
    """nltk's English Punkt model when its data is installed (then `word_tokenize` below is exactly
    `nltk.word_tokenize`), else an untrained Punkt splitter: the same rules without the model's abbreviations."""
    import nltk
    from nltk.tokenize.punkt import PunktSentenceTokenizer

    try:
        nltk.data.find("tokenizers/punkt_tab/english/")
    except LookupError:
        return PunktSentenceTokenizer().tokenize
    return functools.partial(nltk.sent_tokenize, language="english")


def word_tokenize(text: str) -> list[str]:
    """`nltk.word_tokenize`: sentences, then the Treebank word tokenizer (keeps 0.50, 2.5 and 1,000 whole)."""
    from nltk.tokenize import NLTKWordTokenizer

    words = NLTKWordTokenizer()
    return [token for sentence in _sentence_splitter()(text) for token in words.tokenize(sentence)]


def exact_match(reference: str, answer: str) -> float:
    return float(clean_answer(answer) == clean_answer(reference))


def must_include(reference: str, answer: str, tokenize: bool = False) -> float:
    """REFERENCE is a substring of ANSWER; with TOKENIZE, a one-character one-token reference must be a token."""
    ref, pred = clean_answer(reference), clean_answer(answer)
    if tokenize and len(ref) == 1 and len(word_tokenize(ref)) == 1:
        return float(ref in word_tokenize(pred))
    return float(ref in pred)


def string_match(config: dict[str, Any], answer: str, judge: Any = None) -> tuple[float, dict[str, Any]]:
    references = config["eval"].get("reference_answers") or {}
    intent = str(config.get("intent", ""))
    pred = clean_answer(answer)  # WebArena cleans once here and again inside every comparison
    score, checks = 1.0, []
    for kind, value in references.items():
        if value is None:
            continue
        if kind == "exact_match":
            score *= exact_match(str(value), pred)
            checks.append({"kind": kind, "reference": value, "score": score})
        elif kind == "must_include":
            values = [value] if isinstance(value, str) else list(value)
            for ref in values:
                score *= must_include(str(ref), pred, tokenize=len(values) == 1)
            checks.append({"kind": kind, "reference": values, "score": score})
        elif kind == "fuzzy_match" and value == "N/A":
            score *= exact_match("N/A", pred)
            if score != 1:  # WebArena overwrites the running product here rather than multiplying
                note = str(config["eval"].get("string_note") or "")
                score, reply = judges.ua_match(judge, intent, note, pred)
                checks.append({"kind": "ua_match", "reference": note, "reply": reply, "score": score})
        elif kind == "fuzzy_match":
            for ref in [value] if isinstance(value, str) else list(value):
                part, reply = judges.fuzzy_match(judge, intent, str(ref), pred)
                checks.append({"kind": kind, "reference": ref, "reply": reply, "score": part})
                score *= part
        else:
            raise UserError(f"task {config.get('task_id')!r}: unknown reference_answers key {kind!r}")
    if not any(v is not None for v in references.values()):
        raise UserError(f"task {config.get('task_id')!r}: string_match needs eval.reference_answers")
    return score, {"answer": answer, "checks": checks}


def _base_and_query(url: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlparse(url)
    return (parts.netloc + parts.path).rstrip("/"), parse_qs(parts.query)


def url_match(config: dict[str, Any], final_url: str) -> tuple[float, dict[str, Any]]:
    """WebArena's "GOLD in PRED": trailing "/" stripped from the whole URLs, nothing unquoted; some
    reference's host+path is a substring of the final one, and each reference query key has an allowed value."""
    rule = config["eval"].get("url_note") or URL_RULE  # a parsed Task holds None for a missing url_note
    if rule != URL_RULE:
        raise UserError(
            f"task {config.get('task_id')!r}: url_note {rule!r}; WebArena knows only {URL_RULE!r}"
        )
    raw = str(config["eval"].get("reference_url") or "")
    if not raw.strip():
        raise UserError(f"task {config.get('task_id')!r}: url_match needs eval.reference_url")
    references = [ref.rstrip("/") for ref in raw.split(OR_SEP)]
    pred_base, pred_query = _base_and_query(final_url.rstrip("/"))
    allowed: dict[str, set[str]] = {}
    bases = []
    for ref in references:
        base, query = _base_and_query(ref)
        bases.append(base)
        for key, values in query.items():
            allowed.setdefault(key, set()).update(values)
    base_score = float(any(base in pred_base for base in bases))
    query_score = float(all(any(v in pred_query.get(k, []) for v in vals) for k, vals in allowed.items()))
    detail = {"final_url": final_url, "references": references, "path": base_score, "query": query_score}
    return base_score * query_score, detail


def _select(
    page: Any, target: dict[str, Any], helpers: Mapping[str, Callable], urls: Mapping[str, str]
) -> str:
    locator = str(target.get("locator", ""))
    if not locator.strip():
        return page.content()
    if locator.startswith(JS_LOCATOR_PREFIXES):
        try:  # WebArena stops at the first failing prep action and reads the locator anyway
            for action in target.get("prep_actions") or []:
                page.evaluate(f"() => {action}")
        except Exception as err:
            _reraise_closed(err)
        try:
            # str() of the value as WebArena does: a null locator result reads as "None"
            return str(page.evaluate(f"() => {locator}")) or ""
        except Exception as err:  # a missing element is "nothing selected", as in WebArena
            _reraise_closed(err)
            return ""
    if locator.startswith("func:"):
        return str(call_helper(locator, helpers, urls, page=page))
    raise UserError(f"unknown program_html locator {locator!r}; use '', 'document.…' or 'func:…'")


def _reraise_closed(err: Exception) -> None:
    if "closed" in str(err):  # the browser went away: that is not an empty selection
        raise err


def _target_url(
    target: dict[str, Any], page: Any, helpers: Mapping[str, Callable], urls: Mapping[str, str]
) -> str:
    url = str(target.get("url", "last"))
    if url.startswith("func"):
        url = str(call_helper(url, helpers, urls, page=page))
    missing = _PLACEHOLDER.search(url)
    if missing and url != "last":
        raise UserError(
            f"program_html url {url!r} still holds __{missing.group(1)}__; set {missing.group(1)}"
        )
    return url


def contents_score(target: dict[str, Any], selected: str) -> float:
    """`exact_match`, or else `must_include` (each entry may list alternatives with " |OR| "), on SELECTED."""
    required = target.get("required_contents") or {}
    if required.get("exact_match") is not None:  # never both, as in WebArena
        return exact_match(str(required["exact_match"]), selected)
    if required.get("must_include") is None:
        raise UserError(
            f"program_html target {target.get('url')!r}: required_contents needs exact_match or must_include"
        )
    part = 1.0
    for item in required["must_include"]:
        part *= float(any(must_include(alt, selected) for alt in str(item).split(OR_SEP)))
    return part


def _check_target(
    target: dict[str, Any], page: Any, helpers: Mapping[str, Callable], urls: Mapping[str, str]
) -> tuple[float, dict[str, Any]]:
    url = _target_url(target, page, helpers, urls)
    # WebArena reads whatever page is open for "last" -- after an earlier target navigated, that is the
    # earlier target's page, not the episode's final page. Its bug, kept so that scores agree.
    if url != "last":
        page.goto(url)
        page.evaluate(_SETTLE_JS)
    selected = html.unescape(_select(page, target, helpers, urls))
    # the whole selection is kept: `rescore` applies required_contents to it again without the sites
    return contents_score(target, selected), {
        "url": url,
        "locator": target.get("locator", ""),
        "selected": selected,
    }


def program_html(
    config: dict[str, Any], page: Any, helpers: Mapping[str, Callable], urls: Mapping[str, str]
) -> tuple[float, dict[str, Any]]:
    targets = config["eval"].get("program_html") or []
    if not targets:
        raise UserError(f"task {config.get('task_id')!r}: program_html needs eval.program_html targets")
    score, checks = 1.0, []
    for target in targets:
        try:
            part, check = _check_target(target, page, helpers, urls)
        except HelperError as err:  # e.g. the order the helper looks for does not exist: no match
            part, check = (
                0.0,
                {"url": target.get("url"), "locator": target.get("locator", ""), "error": str(err)},
            )
        checks.append({**check, "score": part})
        score *= part
    return score, {"targets": checks}


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
    helpers: Mapping[str, Callable] | None = None,
) -> EvalResult:
    """Score a finished episode: the product of the task's evaluators, with each one's details.

    CONFIG is a task dict (or `envs.web.tasks.Task`) with placeholders filled. URLS ({"SHOPPING": url, ...})
    serve the `func:` helpers (default: the environment variables); HELPERS is the helper table (default:
    the bundled sites'; `evaluator.webarena.helpers.WEBARENA_HELPERS` for WebArena's real containers).
    """
    if hasattr(config, "model_dump"):
        config = config.model_dump()
    if urls is None:
        from envs.web.urls import site_urls

        urls = site_urls()
    if helpers is None:
        from envs.web.sites.helpers import HELPERS as helpers
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
    for kind in kinds:  # program_html last: it navigates away from the final page
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
        part, detail = program_html(config, page, helpers, urls)
        details.append({"evaluator": "program_html", "score": part, **detail})
        score *= part
    return EvalResult(score, details)


def rescore(
    config: Any, answer: str | None, final_url: str, recorded: list[dict[str, Any]], judge: Any = None
) -> EvalResult:
    """Score an episode again from what its run recorded, without the sites: the answer and final URL for
    string_match and url_match, and for program_html the text each target selected (RECORDED is the
    original result's `details`). A target whose helper failed scores 0 again."""
    if hasattr(config, "model_dump"):
        config = config.model_dump()
    kinds = list((config.get("eval") or {}).get("eval_types") or [])
    answer = answer or ""
    score, details = 1.0, []
    for kind in kinds:
        if kind == "string_match":
            part, detail = string_match(config, answer, judge)
        elif kind == "url_match":
            part, detail = url_match(config, final_url)
        elif kind == "program_html":
            seen = next((d for d in recorded if d.get("evaluator") == "program_html"), None)
            targets = config["eval"].get("program_html") or []
            snapshots = (seen or {}).get("targets") or []
            if len(snapshots) != len(targets):
                raise UserError(
                    f"task {config.get('task_id')!r}: the run recorded no page snapshot for program_html"
                )
            parts = [
                0.0 if "error" in snap else contents_score(t, snap["selected"])
                for t, snap in zip(targets, snapshots, strict=True)
            ]
            part, detail = math.prod(parts), {"targets": [{"score": p} for p in parts]}
        else:
            raise UserError(
                f"task {config.get('task_id')!r}: eval type {kind!r}; use some of {', '.join(EVAL_TYPES)}"
            )
        details.append({"evaluator": kind, "score": part, **detail})
        score *= part
    return EvalResult(score, details)
