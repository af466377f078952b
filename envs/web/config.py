"""The web env's settings (`WebEnvConfig`), shared by the env and its browser session."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class WebEnvConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_steps: int = 30
    viewport: tuple[int, int] = (1280, 720)
    screenshots: bool = True  # capture screenshot + set-of-marks image each step
    vision: bool = False  # put the set-of-marks image into the chat prompt (for VLM agents)
    settle_timeout_s: float = 5.0  # cap on the event-driven wait after each action
    navigation_timeout_s: float = 20.0
    # Early stop after this many unparsable actions in a row (as WebArena: an action that parses but fails, e.g.
    # a missing element or a blocked request, is reported to the agent and does not count).
    max_invalid: int = 3
    max_repeats: int = 3  # early stop after the same action this many times in a row
    max_tree_chars: int = 16000  # the tree is cut to this length in the chat prompt
    history: int = 3  # past actions shown in the prompt (PAE shows 3)
    prompt_view: Literal["tree", "elements"] = "tree"  # the page as the tree, or as PAE's element list
    evaluate: bool = True  # score the episode with the env's scorer when it ends
    allowed_origins: list[str] = []
    prewarm: bool = True  # make the next episode's context while this one runs
    auth_dir: str | None = None  # folder of storage-state files; a task's storage_state is looked up by name
    # "fresh": a task that needs a login signs in through its sites' login forms, as WebArena's harness does
    # for each task (envs.web.login); "saved": its storage_state file is applied as it is.
    login: Literal["fresh", "saved"] = "saved"
    login_flows: Literal["webarena", "bundled"] = "webarena"  # WebArena's containers or the bundled sites
    record_network: bool = False  # keep the episode's network trace (HAR) for WebArena-Verified's evaluators
