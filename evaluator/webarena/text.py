"""WebArena's answer cleaning, shared by the rule evaluators and the LLM judge prompts."""

from __future__ import annotations


def clean_answer(text: str) -> str:
    """Strip, drop one pair of surrounding quotes, lowercase (WebArena's `clean_answer`; no second strip)."""
    text = str(text).strip()
    if (text.startswith("'") and text.endswith("'")) or (text.startswith('"') and text.endswith('"')):
        text = text[1:-1]
    return text.lower()
