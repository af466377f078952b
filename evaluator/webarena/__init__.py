"""WebArena-compatible rule evaluation, usable on its own:

from evaluator.webarena import evaluate_task
result = evaluate_task(task_config, final_answer, page, judge=None)   # result.score is 0.0 or 1.0
"""

from evaluator.webarena.evaluators import EvalResult, evaluate_task, needs_judge

__all__ = ["EvalResult", "evaluate_task", "needs_judge"]
