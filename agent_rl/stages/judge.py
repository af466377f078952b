"""`judge` stage: score each web episode with the VLM (or text) judge.

Input `episodes` (a `web_rollout` store) and `judge` (the judge model, or set `backend` to a server).
Output `episodes`: a new store with `success` set from the verdict, the verdict under `info["judge"]`, and
the last turn's reward set to 1 or 0 (PAE's binary reward). Where an episode also has a rule-based score
(a bundled task with WebArena evaluators), the judge's agreement with it is written to `agreement.json`.

`verdict` defaults by mode: a text judge (here a small local model) is `scored` from its log-probabilities of
the two verdicts, a VLM judge (a strong served model) writes its verdict and it is `parsed`.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent_rl.rollout.store import EpisodeStore
from agent_rl.stages import StageContext
from evaluator.judge.agreement import agreement_report
from evaluator.judge.judge import Judge, judge_input, verdict_for

log = logging.getLogger("agent_rl.stages.judge")


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["vlm", "text"] = "vlm"
    last_k: int = Field(3, ge=1)
    backend: dict[str, Any] = {"type": "transformers"}
    max_new_tokens: int = Field(256, ge=1)  # of a parsed reply
    verdict: Literal["scored", "parsed"] | None = None  # None: scored in text mode, parsed in vlm mode
    threshold: float = 0.0  # scored: the log-odds of SUCCESS above which an episode succeeds
    reason_tokens: int = Field(0, ge=0)  # scored: reasoning the model writes before the forced verdict

    def verdict_mode(self) -> Literal["scored", "parsed"]:
        return verdict_for(self.mode, self.verdict)


def run(config: Config, ctx: StageContext) -> dict[str, str]:
    source = EpisodeStore(ctx.path("episodes"))
    episodes = source.read()
    source.open_images(episodes)
    with ctx.backend(config.backend, "judge") as backend:
        judge = Judge(
            backend,
            config.mode,
            config.last_k,
            config.max_new_tokens,
            verdict=config.verdict_mode(),
            threshold=config.threshold,
            reason_tokens=config.reason_tokens,
        )
        verdicts = judge.judge([judge_input(e, ctx.run_dir) for e in episodes])
    out = EpisodeStore(ctx.stage_dir / "episodes")
    done = out.finished_ids()
    for episode, verdict in zip(episodes, verdicts, strict=True):
        episode.success = verdict.success and not episode.error
        episode.info["judge"] = {
            "success": verdict.success,
            "parsed": verdict.parsed,
            "reason": verdict.reason,
            "confidence": verdict.confidence,
        }
        if episode.turns:
            episode.turns[-1].reward = float(episode.success)
        if episode.episode_id not in done:
            out.append(episode)
    ruled = [
        (verdict.success, episode.turns[-1].info["rule_score"] > 0)
        for episode, verdict in zip(episodes, verdicts, strict=True)
        if episode.turns and "rule_score" in episode.turns[-1].info
    ]
    record = {
        "stage": ctx.stage_dir.name,
        "episodes": len(episodes),
        "judged_success": sum(v.success for v in verdicts),
        "unparsable": sum(not v.parsed for v in verdicts),
        "verdict": config.verdict_mode(),
    }
    if ruled:
        agreement = agreement_report([j for j, _ in ruled], [t for _, t in ruled])
        (ctx.stage_dir / "agreement.json").write_text(json.dumps(agreement, indent=2))
        record["agreement_accuracy"] = agreement["accuracy"]
    ctx.logger.log(record)
    log.info("judge: %s", record)
    return {"episodes": ctx.rel(out.folder)}
