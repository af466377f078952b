"""The LLM judgements WebArena's string_match needs: fuzzy answers and the reasons for "N/A" tasks.

The prompts are WebArena's own texts (its `llm_fuzzy_match` and `llm_ua_match`), sent with the system
message "You are a helpful assistant" at temperature 0 with replies up to 768 tokens, and the replies are read
as WebArena reads them: lowercased, and searched anywhere for the losing verdict first. Any
`agent_rl.backends.base.Backend` can judge.
"""

from __future__ import annotations

from typing import Any

from agent_rl.backends.base import ChatPrompt, SamplingParams
from agent_rl.errors import UserError

SYSTEM = "You are a helpful assistant"
MAX_REPLY_TOKENS = 768

FUZZY_PROMPT = (
    "Help a teacher to grade the answer of a student given a question. Keep in mind that the student may use "
    "different phrasing or wording to answer the question. The goal is to evaluate whether the answer is "
    "semantically equivalent to the reference answer.\n"
    "question: {intent}\n"
    "reference answer: {reference}\n"
    "all the string 'N/A' that you see is a special sequence that means 'not achievable'\n"
    "student answer: {answer}\n"
    "Conclude the judgement by correct/incorrect/partially correct."
)
UA_PROMPT = (
    "task: {intent}\n"
    "actual unachievable reason: {reference}\n"
    "reported unachievable reason: {answer}\n"
    "The task described above is inherently unachievable due to the reason specified under 'actual "
    "unachievable reason'. An individual previously attempted this task and was unable to complete it. They "
    "provided a reason for their failure, which is listed under 'reported unachievable reason'. Your role is "
    "to review both the actual and reported reasons. Determine if the reported reason aligns with the actual "
    "reason, even if implicitly. If the stated reason is in line with the actual reason, respond with 'same'. "
    "Otherwise, respond with 'different'."
)


class WordForWord:
    """The stand-in judge of runs without a judge model: "correct" only for the reference word for word
    (after WebArena's cleaning), and "different" for every N/A reason. Not WebArena's scoring, which asks an
    LLM: a lower bound on it."""

    name = "word-for-word"


def ask(judge: Any, text: str, what: str) -> str:
    """The judge's lowercased reply to WebArena's user TEXT (WHAT names the check in the error)."""
    if judge is None:
        raise UserError(
            f"this task's {what} needs an LLM judge, and none is configured; pass a judge backend "
            "(e.g. `--judge-model MODEL` on the command line, or judge=... to evaluate_task)"
        )
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}]
    params = SamplingParams(max_new_tokens=MAX_REPLY_TOKENS, temperature=0.0)
    (generation,) = judge.generate([ChatPrompt(messages=messages)], params)
    return generation.text.lower()


def fuzzy_match(judge: Any, intent: str, reference: str, answer: str) -> tuple[float, str]:
    """0 when "partially correct" or "incorrect" appears anywhere in the reply, else 1 if "correct" does.

    WebArena asserts "correct" is in the reply, so a reply with no verdict drops the task from its run;
    here it scores 0 and the reply is kept in the details.
    """
    if isinstance(judge, WordForWord):
        from evaluator.webarena.text import clean_answer

        same = clean_answer(reference) == clean_answer(answer)
        return float(same), "correct (word for word)" if same else "incorrect (not word for word)"
    reply = ask(judge, FUZZY_PROMPT.format(intent=intent, reference=reference, answer=answer), "fuzzy_match")
    if "partially correct" in reply or "incorrect" in reply:
        return 0.0, reply
    return float("correct" in reply), reply


def ua_match(judge: Any, intent: str, note: str, answer: str) -> tuple[float, str]:
    """0 when "different" appears anywhere in the reply, else 1 if "same" does (WebArena asserts it)."""
    if isinstance(judge, WordForWord):
        return 0.0, "different (no judge model)"
    reply = ask(judge, UA_PROMPT.format(intent=intent, reference=note, answer=answer), "N/A reason check")
    if "different" in reply:
        return 0.0, reply
    return float("same" in reply), reply
