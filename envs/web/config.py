"""The web env's settings (`WebEnvConfig`), shared by the env and its browser session; `PromptSettings`, the
part that shapes the model's prompt, is also what the rollout and evaluation stages take."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent_rl.core.bounds import Count, Positive


class PromptSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The page as the tree; as PAE's element list; or compact: one `[id] role 'name'` line per named node (no
    # indentation, no decoration, no cell that only repeats the link inside it), cut to `max_obs_tokens`.
    prompt_view: Literal["tree", "elements", "compact"] = "tree"
    max_tree_chars: int = Field(16000, ge=1)  # the tree is cut to this length in the chat prompt
    # The compact view's budget, in approximate tokens (`envs.web.prompt.approx_tokens`: words and marks).
    max_obs_tokens: int = Field(600, ge=16)
    grammar: Literal["webarena", "pae"] = "webarena"  # the one action grammar the prompt teaches


class WebEnvConfig(PromptSettings):
    max_steps: Count = 30
    viewport: tuple[Count, Count] = (1280, 720)
    screenshots: bool = True  # capture screenshot + set-of-marks image each step
    vision: bool = False  # put the set-of-marks image into the chat prompt (for VLM agents)
    settle_timeout_s: Positive = 5.0  # cap on the event-driven wait after each action
    navigation_timeout_s: Positive = 20.0
    # Early stop after this many unparsable actions in a row (as WebArena: an action that parses but fails, e.g.
    # a missing element or a blocked request, is reported to the agent and does not count).
    max_invalid: Count = 3
    max_repeats: Count = 3  # early stop after the same action this many times in a row
    history: Annotated[int, Field(ge=0)] = 3  # past actions shown in the prompt (PAE shows 3)
    evaluate: bool = True  # score the episode with the env's scorer when it ends
    allowed_origins: list[str] = []
    prewarm: bool = True  # make the next episode's context while this one runs
    auth_dir: str | None = None  # folder of storage-state files; a task's storage_state is looked up by name
    # "fresh": a task that needs a login signs in through its sites' login forms, as WebArena's harness does
    # for each task (envs.web.login); "saved": its storage_state file is applied as it is.
    login: Literal["fresh", "saved"] = "saved"
    login_flows: Literal["webarena", "bundled"] = "webarena"  # WebArena's containers or the bundled sites
    record_network: bool = False  # keep the episode's network trace (HAR) for WebArena-Verified's evaluators
