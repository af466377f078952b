"""Model judges for agent episodes: a VLM judge over screenshots, a text judge over the accessibility tree."""

from evaluator.judge.agreement import agreement_report
from evaluator.judge.judge import Judge, JudgeInput
from evaluator.judge.verdict import Verdict, parse_verdict

__all__ = ["Judge", "JudgeInput", "Verdict", "agreement_report", "parse_verdict"]
