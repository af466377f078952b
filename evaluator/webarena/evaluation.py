"""`evaluate_webarena`: run an agent on WebArena-format tasks and score it with the rule evaluators.

On the bundled sites (started for the run) or on your own task file and sites. Writes results.jsonl (one line
per finished task, kept across reruns), summary.json (success by site and by eval type) and report.html
(each episode's screenshots and actions) into `out`; a rerun resumes. Used by `agent-rl eval webarena` and
the `webarena_eval` stage.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent_rl.errors import UserError
from envs.web.env import WebEnvConfig
from evaluator.webarena import needs_judge
from evaluator.webarena.report import summarise, write_html
from evaluator.webarena.runner import Agent, EpisodeRunner, RunSettings


@dataclass
class WebArenaEval:
    """One evaluation. `model`: 'oracle' (scripted solutions), 'wrong' (their deliberately wrong variants) or
    a model path / hub id behind `backend`; `tasks`: a task config file, or None for the bundled tasks."""

    model: str
    out: Path
    tasks: Path | None = None
    urls: dict[str, str] = field(default_factory=dict)  # SHOPPING=... site URLs given explicitly
    sites_from_env: bool = False
    judge_model: str | None = None  # for fuzzy_match / N/A judgements (same backend type)
    backend: str = "transformers"
    base_url: str | None = None  # an OpenAI-compatible server, with backend openai (agent and judge)
    parallel: int = 4
    max_steps: int = 30
    task_ids: list[str] | None = None
    auth_dir: Path | None = None  # storage-state files for login tasks
    vision: bool = False
    screenshots: bool = True
    max_new_tokens: int = 256
    max_tree_chars: int = 16000


def check_reachable(urls: dict[str, str], needed: set[str], timeout: float = 10.0) -> None:
    """Fail early, naming the variable and URL, when a site the tasks need does not answer."""
    for var in sorted(needed):
        url = urls.get(var)
        if url is None:
            raise UserError(
                f"the tasks need the {var} site: set {var} (with --sites-from-env) or pass --{var.lower()}"
            )
        try:
            urllib.request.urlopen(url, timeout=timeout).close()
        except urllib.error.HTTPError:
            pass  # it answered
        except (OSError, ValueError) as err:
            raise UserError(f"site {var} at {url} is unreachable ({err}); start it or fix {var}") from err


class ModelAgent:
    """A model behind a generation backend; one call at a time, since backends are not thread-safe."""

    def __init__(self, backend: Any, max_new_tokens: int) -> None:
        from agent_rl.backends import SamplingParams

        self.backend = backend
        self.params = SamplingParams(max_new_tokens=max_new_tokens, temperature=0.0)
        self.lock = threading.Lock()

    def act(self, obs: dict[str, Any]) -> str:
        from agent_rl.backends import ChatPrompt

        with self.lock:
            (generation,) = self.backend.generate([ChatPrompt(obs["messages"], obs["images"])], self.params)
        return generation.text


def _backend(request: WebArenaEval, model: str) -> Any:
    from agent_rl.backends import make_backend

    spec = {"type": request.backend, "model": model}
    if request.base_url:
        spec["base_url"] = request.base_url
    return make_backend(spec)


def evaluate_webarena(request: WebArenaEval) -> dict[str, Any]:
    """Run and score every task; write results.jsonl, summary.json and report.html; return the summary."""
    from envs.web.tasks import SITE_VARS, load_bundled_tasks, load_tasks, site_urls

    if request.parallel < 1:
        raise UserError("--parallel must be at least 1")
    if request.vision and not request.screenshots:
        raise UserError("vision needs screenshots")
    out = Path(request.out)
    wanted = request.task_ids
    with ExitStack() as stack:
        reset_site = None
        auth_dir = request.auth_dir
        if request.tasks is None:
            from envs.web.sites.launcher import start_sites

            sites = stack.enter_context(start_sites())
            urls = {k.upper(): v for k, v in sites.urls.items()}
            auth_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="agent-rl-auth-")))
            sites.write_storage_states(auth_dir)
            tasks = load_bundled_tasks(urls)

            def reset_site(site: str) -> None:
                if site != "homepage":
                    sites.reset(site)

            print(f"bundled sites: {', '.join(f'{k}={v}' for k, v in sites.urls.items())}", file=sys.stderr)
        else:
            urls = site_urls(request.urls, env=None if request.sites_from_env else {})
            tasks = load_tasks(request.tasks, urls)
            reset_site = _http_reset(urls)
        if wanted is not None:
            tasks = [t for t in tasks if str(t.task_id) in wanted]
            if not tasks:
                raise UserError(f"no task has an id in {','.join(wanted)}")
        check_reachable(urls, {SITE_VARS[s] for t in tasks for s in t.sites if s in SITE_VARS})
        judge = _backend(request, request.judge_model) if request.judge_model else None
        judged = [str(t.task_id) for t in tasks if needs_judge(t)]
        if judged and judge is None:
            print(
                f"warning: {len(judged)} task(s) use fuzzy_match (ids {', '.join(judged[:8])}"
                f"{', ...' if len(judged) > 8 else ''}); an answer that is not "
                "the reference word for word needs --judge-model MODEL, and ends as an error without one",
                file=sys.stderr,
            )
        if request.model in ("oracle", "wrong"):
            from evaluator.webarena import scripted

            scripted_agent = scripted.oracle_agent if request.model == "oracle" else scripted.wrong_agent

            def make_agent(task: Any) -> Agent:
                return scripted_agent(task, urls)
        else:
            agent = ModelAgent(_backend(request, request.model), request.max_new_tokens)

            def make_agent(task: Any) -> Agent:
                return agent

        config = WebEnvConfig(
            max_steps=request.max_steps,
            vision=request.vision,
            screenshots=request.screenshots,
            max_tree_chars=request.max_tree_chars,
            auth_dir=str(auth_dir) if auth_dir else None,
        )
        settings = RunSettings(
            out_dir=out,
            urls=urls,
            parallel=request.parallel,
            env=config,
            judge=judge,
            save_screenshots=request.screenshots,
        )
        rows = EpisodeRunner(settings, make_agent, reset_site).run(tasks)
    summary = summarise(rows)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    write_html(rows, summary, out / "report.html")
    return summary


def _http_reset(urls: dict[str, str]) -> Any:
    """Reset a site served by `agent-rl sites serve` (POST /__reset); other deployments are left as they are."""
    from envs.web.sites.launcher import http_reset
    from envs.web.tasks import SITE_VARS

    warned: set[str] = set()

    def reset(site: str) -> None:
        url = urls.get(SITE_VARS.get(site, site.upper()))
        if url is None:
            return
        try:
            http_reset(url)
        except UserError as err:
            if site not in warned:
                warned.add(site)
                print(
                    f"warning: cannot reset {site} ({err}); reset it yourself between runs", file=sys.stderr
                )

    return reset
