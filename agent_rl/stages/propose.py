"""`propose` stage: an LLM proposer writes tasks for the bundled sites from their descriptions.

The bundled sites are started on free ports for the stage (or `sites_from_env` uses yours); the tasks are saved with `__SITE__` placeholders in
place of the live addresses, so later stages (started on other ports) fill in their own. Input `proposer`:
the proposer model (or set `backend` to a server). Output `tasks`: a WebArena-format JSON list.

A small model may propose nothing usable; `top_up_from_bundled` then fills each site's quota with whole
bundled tasks (their start URLs and rule evaluators kept;
judge-scored like proposed ones), and the report says how many came from where.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agent_rl.core.bounds import Temperature
from agent_rl.errors import UserError
from agent_rl.stages import StageContext
from proposer.web_tasks import ProposerSettings, SiteContext, propose_tasks, save_task_set, top_up

log = logging.getLogger("agent_rl.stages.propose")


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sites: list[str] = Field(
        ["shopping", "reddit", "wikipedia"], min_length=1
    )  # URL keys of the bundled sites
    tasks_per_site: int = Field(25, ge=1)
    backend: dict[str, Any] = {"type": "transformers"}
    temperature: Temperature = 1.0
    max_new_tokens: int = Field(1024, ge=1)
    replies_per_site: int = Field(1, ge=1)  # samples of each site's request, pooled (small models write few)
    top_up_from_bundled: bool = False
    sites_from_env: bool = False  # use the sites named by SHOPPING, REDDIT, ... instead of the bundled ones
    descriptions: dict[str, str] = {}  # site key -> description, over the bundled sites' own

    @model_validator(mode="after")
    def _top_up_needs_bundled_sites(self) -> Config:
        if self.top_up_from_bundled and self.sites_from_env:
            raise ValueError("top_up_from_bundled takes bundled tasks, which fit only the bundled sites")
        return self


def to_placeholders(text: str, urls: dict[str, str]) -> str:
    """Live site addresses in `text` -> `__SHOPPING__`-style placeholders (longest address first)."""
    for key, url in sorted(urls.items(), key=lambda kv: -len(kv[1])):
        text = text.replace(url.rstrip("/"), f"__{key.upper()}__")
    return text


def bundled_tasks() -> list[dict]:
    """The bundled tasks of the training sites (site seed 0); held-out seeds are for evaluation only."""
    from envs.web.tasks import bundled_raw

    return bundled_raw(0)


def bundled_intents(site: str) -> list[str]:
    return [t["intent"] for t in bundled_tasks() if t.get("sites") == [site] and not t.get("require_login")]


def run(config: Config, ctx: StageContext) -> dict[str, str]:
    from envs.web.sites.launcher import live_sites

    settings = ProposerSettings(
        n_tasks=config.tasks_per_site,
        temperature=config.temperature,
        max_new_tokens=config.max_new_tokens,
        seed=ctx.seed,
        replies_per_site=config.replies_per_site,
    )
    with ctx.backend(config.backend, "proposer") as backend, live_sites(config.sites_from_env) as live:
        urls, descriptions = live[0], {**live[1], **config.descriptions}
        unknown = sorted(set(config.sites) - set(urls))
        if unknown:
            raise UserError(f"propose.sites: no site {unknown} is running; choose from {sorted(urls)}")
        contexts = []
        for key in config.sites:
            examples = bundled_intents(key)
            contexts.append(
                SiteContext(
                    name=key,
                    start_url=urls[key],
                    description=descriptions.get(key, ""),
                    example_task=examples[0] if examples else "",
                )
            )
        task_set = propose_tasks(backend, contexts, settings)
        for task in task_set["tasks"]:
            task["start_url"] = to_placeholders(task["start_url"], urls)
        if config.top_up_from_bundled:
            bundled = bundled_tasks()
            for site in contexts:
                top_up(task_set, site.name, bundled, config.tasks_per_site)
    path = save_task_set(task_set, ctx.stage_dir / "tasks.json")
    ctx.logger.log(
        {"stage": ctx.stage_dir.name, "tasks": len(task_set["tasks"]), **_flat(task_set["report"])}
    )
    log.info("propose: %d tasks (%s)", len(task_set["tasks"]), task_set["report"])
    return {"tasks": ctx.rel(path)}


def _flat(report: dict[str, dict[str, int]]) -> dict[str, int]:
    return {f"{site}.{key}": value for site, counts in report.items() for key, value in counts.items()}
