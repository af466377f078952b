"""WebArena-compatible rule evaluation, usable on its own:

from evaluator.webarena import evaluate_task
result = evaluate_task(task_config, final_answer, page, judge=None)   # result.score is 0.0 or 1.0

or as the scorer a `WebEnv` is given: `WebEnv(config, scorer=WebArenaScorer(judge, urls))`.
"""

from evaluator.webarena.evaluators import EvalResult, evaluate_task, needs_judge
from evaluator.webarena.scorer import WebArenaScorer

__all__ = ["EvalResult", "WebArenaScorer", "evaluate_task", "needs_judge"]
