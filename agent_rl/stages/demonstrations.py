"""`demonstrations` stage: the bundled tasks' scripted oracles replayed through `WebEnv` into an episode store.

Each oracle step goes through the same parser and browser as a model's reply, written in the agent's own
format ("Thought: I click the link 'Books'. Action: click [21]"), and a task that asks for an action ends
with an answer that says what was done (as PAE's agent does). The rule evaluators score every episode, so
`success` is true only where the replay really solved the task. A `filtered_bc` stage on this store (all
successes, `keep_percentile: 100`) is the warm start: SFT on demonstrations, as PAE starts from.

Runs on the sites built from `site_seed` (0: the published tasks; train there, evaluate on a held-out seed).
Output: `episodes` (the store) and `summary`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from agent_rl.commands.webarena import WebArenaEval, evaluate_webarena
from agent_rl.stages import StageContext
from envs.web.config import PromptSettings


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site_seed: int = Field(0, ge=0)
    task_ids: list[int] | None = None  # None: every bundled task
    max_steps: int = Field(10, ge=1)
    parallel: int = Field(4, ge=1)
    prompt: PromptSettings = PromptSettings(prompt_view="compact")  # what the agent will be shown


def run(config: Config, ctx: StageContext) -> dict[str, str]:
    out = ctx.stage_dir / "demonstrations"
    summary = evaluate_webarena(
        WebArenaEval(
            model="oracle",
            out=out,
            bundled=True,
            site_seed=config.site_seed,
            parallel=config.parallel,
            max_steps=config.max_steps,
            task_ids=",".join(map(str, config.task_ids)) if config.task_ids else None,
            no_screenshots=True,
            **config.prompt.model_dump(),
        )
    )
    ctx.logger.log({"stage": ctx.name, **{f"demonstrations.{k}": v for k, v in summary["overall"].items()}})
    return {"episodes": ctx.rel(out), "summary": ctx.rel(out / "summary.json")}
