"""`agent-rl validate|eval|score webarena`: check WebArena task configs, evaluate an agent on them, rescore.

    agent-rl validate webarena --tasks test.raw.json
    agent-rl eval webarena --tasks test.raw.json --sites-from-env --model MODEL --out runs/wa
    agent-rl eval webarena --bundled --model oracle --out runs/wa-bundled --parallel 4
    agent-rl eval webarena --dataset verified --sites-from-env --model MODEL --out runs/wav
    agent-rl score webarena runs/wa

`eval` runs the tasks through `agent_rl.rollout.run_rollouts` into the episode store (`episodes.jsonl` in
--out, kept across reruns) and writes its views: results.jsonl (one row per task), summary.json (success by
site and by eval type) and report.html (each episode's screenshots and actions). Tasks in WebArena-Verified's
format (`--dataset verified|verified-hard`, or a `--tasks` file whose `eval` is a list) are scored by the
webarena-verified package's evaluators from the agent's JSON answer and the episode's network trace, which the
run keeps (`episodes/<id>/agent_response.json` and `network.har`), so `score webarena` rescores them offline.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agent_rl.backends.options import add_backend_arguments, backend_spec
from agent_rl.core.cli_args import out_folder
from agent_rl.core.run_settings import SETTINGS_FILE, claim_settings
from agent_rl.errors import UserError, options_model
from envs.web.env import WebEnvConfig
from evaluator.webarena import needs_judge
from evaluator.webarena.datasets import FILES, dataset_file, read_verified, verified_counts
from evaluator.webarena.helpers import WEBARENA_HELPERS
from evaluator.webarena.judge import WordForWord
from evaluator.webarena.report import summarise, write_html
from evaluator.webarena.verified import VerifiedTask, is_verified, load_verified_tasks

SITE_FLAGS = ("shopping", "shopping_admin", "reddit", "gitlab", "wikipedia", "map", "homepage")


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    validate = add(
        "validate",
        "webarena",
        "count tasks by site and eval type; say per task whether it can be scored and why not",
    )
    validate.set_defaults(main=validate_tasks)
    validate.add_argument(
        "--tasks",
        dest="file",
        type=Path,
        default=None,
        help="task config JSON (a list of tasks, one task, or a folder)",
    )
    validate.add_argument(
        "--dataset", choices=tuple(FILES), default=None, help="a task set webarena-verified ships"
    )
    validate.add_argument("--json", action="store_true", help="print the report as JSON")
    validate.add_argument(
        "--out", type=out_folder, default=None, help="folder to write validate.json (per task) into"
    )
    _helpers_argument(validate)
    _site_arguments(validate)

    score = add("score", "webarena", "rescore a finished run from what it recorded, without the sites")
    score.set_defaults(main=score_run)
    score.add_argument("run_dir", type=Path, help="the --out folder of a finished eval")
    score.add_argument("--judge-model", default=None, help="model for fuzzy_match / N/A judgements")
    add_backend_arguments(score)  # of the judge

    ev = add("eval", "webarena", "run an agent on tasks and score it with the WebArena evaluators")
    ev.set_defaults(main=evaluate)
    source = ev.add_mutually_exclusive_group(required=True)
    source.add_argument("--tasks", type=Path, help="task config JSON with __SITE__ placeholders")
    source.add_argument("--bundled", action="store_true", help="start the bundled sites and run their tasks")
    source.add_argument(
        "--dataset",
        choices=tuple(FILES),
        help="a task set webarena-verified ships: WebArena's original 812, Verified, or Verified-Hard",
    )
    _site_arguments(ev)
    _helpers_argument(ev)
    ev.add_argument(
        "--model",
        required=True,
        help="'oracle' (scripted solutions), 'wrong' (their deliberately wrong variants) or a model path / hub id",
    )
    add_backend_arguments(ev)  # for the model agent and the judge
    ev.add_argument(
        "--judge-model",
        dest="judge",
        default=None,
        help="model for fuzzy_match / N/A judgements (same backend)",
    )
    ev.add_argument(
        "--site-seed",
        type=int,
        default=0,
        help="with --bundled: build the sites and their tasks from this seed (0: the published tasks; "
        "another seed gives held-out sites with other data)",
    )
    ev.add_argument("--out", type=out_folder, required=True, help="output folder (a rerun resumes it)")
    ev.add_argument("--parallel", type=int, default=4, help="browser contexts running at once")
    ev.add_argument("--max-steps", type=int, default=30)
    ev.add_argument(
        "--task-ids",
        default=None,
        help="comma-separated task ids to run (default all); only their sites need URLs",
    )
    ev.add_argument(
        "--allowed-origins",
        nargs="*",
        default=[],
        metavar="ORIGIN",
        help="more origins the agent's browser may load (e.g. an avatar host or the map's routing server)",
    )
    ev.add_argument(
        "--auth-dir", type=Path, default=None, help="folder of storage-state files for --login saved"
    )
    ev.add_argument(
        "--login",
        choices=("fresh", "saved"),
        default="fresh",
        help="fresh (default): each task that needs a login signs in through its sites' login forms, as "
        "WebArena's harness does; saved: the task's storage-state file from --auth-dir, as it is",
    )
    ev.add_argument("--vision", action="store_true", help="give the model the set-of-marks screenshot")
    ev.add_argument("--no-screenshots", action="store_true", help="text observations only; faster, no images")
    ev.add_argument("--max-new-tokens", type=int, default=256)
    ev.add_argument(
        "--max-tree-chars", type=int, default=16000, help="cut the tree in the prompt to this length"
    )
    ev.add_argument(
        "--prompt-view",
        choices=("tree", "elements", "compact"),
        default="tree",
        help="the page in the prompt: the tree, PAE's element list, or the compact view for small models",
    )
    ev.add_argument(
        "--max-obs-tokens", type=int, default=600, help="the compact view's budget in (approximate) tokens"
    )
    ev.add_argument(
        "--grammar",
        choices=("webarena", "pae"),
        default="webarena",
        help="the action grammar the prompt teaches",
    )


def _helpers_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--helpers",
        choices=("webarena", "bundled"),
        default=None,
        help="program_html helpers and login forms: WebArena's, for its real containers (the default with "
        "--tasks), or the bundled sites' (the default with --bundled)",
    )


def _site_kind(args: argparse.Namespace | WebArenaEval, bundled: bool) -> str:
    """'bundled' or 'webarena': whose helpers and login forms the sites have (--helpers, else by --bundled)."""
    return args.helpers or ("bundled" if bundled else "webarena")


def _helper_table(args: argparse.Namespace | WebArenaEval, bundled: bool) -> Any:
    from envs.web.sites.helpers import HELPERS

    return HELPERS if _site_kind(args, bundled) == "bundled" else WEBARENA_HELPERS


def _site_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sites-from-env", action="store_true", help="site URLs from SHOPPING, REDDIT, ... variables"
    )
    for name in SITE_FLAGS:
        parser.add_argument(f"--{name.replace('_', '-')}", metavar="URL", help=f"URL of the {name} site")


def score_run(args: argparse.Namespace) -> int:
    from agent_rl.backends import closing
    from agent_rl.rollout.webarena import rescore_run

    with ExitStack() as stack:
        judge = (
            stack.enter_context(closing(_backend(args, args.judge_model)))
            if args.judge_model
            else WordForWord()
        )
        rows = rescore_run(args.run_dir, judge)
    agree = sum(r["score"] == r["recorded_score"] for r in rows)
    wins = sum(bool(r["success"]) for r in rows)
    print(f"{wins}/{len(rows)} succeeded on rescoring; {agree}/{len(rows)} agree with the run's own scores")
    print(f"wrote {args.run_dir / 'rescored.jsonl'}")
    return 0


def validate_tasks(args: argparse.Namespace) -> int:
    from envs.web.urls import site_urls
    from evaluator.webarena.validate import check_tasks

    if (args.file is None) == (args.dataset is None):
        raise UserError("give --tasks FILE or --dataset NAME")
    given = _flag_urls(args)
    urls = site_urls(given, env=None if args.sites_from_env else {}) if given or args.sites_from_env else None
    if args.dataset in ("verified", "verified-hard"):
        return _validate_verified(args, args.dataset, read_verified(args.dataset), urls)
    source = args.file if args.file is not None else dataset_file(args.dataset)
    if args.file is not None:
        from envs.web.tasks import read_raw

        raws = read_raw(args.file)
        if any(is_verified(r) for r in raws):
            return _validate_verified(args, str(args.file), raws, urls)
    helpers = _helper_table(args, bundled=False)
    report, verdicts = check_tasks(source, helpers, urls)  # UserError (exit 2) on a malformed file
    blocked = [v for v in verdicts if not v.scoreable]
    result = {
        "tasks": len(verdicts),
        "scoreable": len(verdicts) - len(blocked),
        "needs_judge": sum(v.needs_judge for v in verdicts),
        "by_site": dict(report.by_site),
        "by_eval_type": dict(report.by_eval_type),
        "per_task": [v.model_dump() for v in verdicts],
    }
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "validate.json").write_text(json.dumps(result, indent=2))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{report.path}: {len(verdicts)} tasks, {result['scoreable']} scoreable")
        print("by site:")
        for key, count in sorted(report.by_site.items()):
            print(f"  {key:<32} {count}")
        print("by eval type:")
        for key, count in sorted(report.by_eval_type.items()):
            print(f"  {key:<32} {count}")
        if blocked:
            print(f"{len(blocked)} task(s) cannot be scored:")
            for v in blocked:
                print(f"  task {v.task_id} (entry {v.index}): {'; '.join(v.reasons)}")
        else:
            print("every task can be scored" + ("" if urls is not None else " (site URLs not checked)"))
        if result["needs_judge"]:
            print(
                f"{result['needs_judge']} task(s) use fuzzy_match / N/A: WebArena's score needs --judge-model"
            )
    return 1 if any(p.kind == "invalid" for p in report.problems) else 0


def _validate_verified(
    args: argparse.Namespace, name: str, tasks: list[dict[str, Any]], urls: dict[str, str] | None
) -> int:
    from evaluator.webarena.verified import check_verified

    verdicts = check_verified(tasks, urls)
    blocked = [v for v in verdicts if v["reasons"]]
    result = {**verified_counts(tasks), "scoreable": len(tasks) - len(blocked), "per_task": verdicts}
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "validate.json").write_text(json.dumps(result, indent=2))
    code = 0 if all(v["valid"] for v in verdicts) else 1
    if args.json:
        print(json.dumps(result, indent=2))
        return code
    counts = {k: v for k, v in result.items() if k != "per_task"}
    print(f"{name}: {len(tasks)} tasks, {result['scoreable']} scoreable; " + json.dumps(counts))
    for v in blocked[:20]:
        print(f"  task {v['task_id']}: {'; '.join(v['reasons'])}")
    if len(blocked) > 20:
        print(f"  ... and {len(blocked) - 20} more (see --json)")
    return code


def _flag_urls(args: argparse.Namespace | WebArenaEval) -> dict[str, str]:
    return {name.upper(): getattr(args, name) for name in SITE_FLAGS if getattr(args, name, None)}


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


def _backend(args: argparse.Namespace | WebArenaEval, model: str) -> Any:
    from agent_rl.backends import make_backend

    return make_backend(backend_spec(args, model))


class WebArenaEval(BaseModel):
    """The settings of one `eval webarena` run: the command's options, and what the `webarena_eval` stage
    passes. The field names are the command's option names."""

    model_config = ConfigDict(extra="forbid")

    model: str  # 'oracle', 'wrong', or a model path / hub id / built-in name
    judge: str | None = None  # model for fuzzy_match / N/A judgements
    out: Path
    tasks: Path | None = None  # a task config file ...
    bundled: bool = False  # ... or the bundled tasks on bundled sites started for the run ...
    site_seed: int = Field(0, ge=0)  # with bundled: the seed the sites and their tasks are built from
    dataset: str | None = None  # ... or a task set that webarena-verified ships
    sites_from_env: bool = False
    shopping: str | None = None
    shopping_admin: str | None = None
    reddit: str | None = None
    gitlab: str | None = None
    wikipedia: str | None = None
    map: str | None = None
    homepage: str | None = None
    helpers: str | None = None
    backend: str = "transformers"
    base_url: str | None = None
    parallel: int = Field(4, ge=1)
    max_steps: int = Field(30, ge=1)
    task_ids: str | None = None  # comma-separated
    allowed_origins: list[str] = []
    auth_dir: Path | None = None
    login: Literal["fresh", "saved"] = "fresh"
    vision: bool = False
    no_screenshots: bool = False
    max_new_tokens: int = Field(256, ge=1)
    max_tree_chars: int = Field(16000, ge=1)
    prompt_view: Literal["tree", "elements", "compact"] = "tree"
    max_obs_tokens: int = Field(600, ge=16)
    grammar: Literal["webarena", "pae"] = "webarena"


def evaluate(args: argparse.Namespace) -> int:
    evaluate_webarena(options_model(WebArenaEval, args))
    return 0


def claim_folder(args: WebArenaEval) -> None:
    """Refuse to resume `args.out` under settings other than those its stored episodes were made with (the
    folder and the number of browsers aside, which change no result)."""
    from agent_rl.rollout.store import EpisodeStore

    claim_settings(
        args.out / SETTINGS_FILE,
        args.model_dump(mode="json", exclude={"out", "parallel"}),
        started=len(EpisodeStore(args.out)) > 0,
        hint="rerun with the same options, or pick another --out",
    )


def evaluate_webarena(args: WebArenaEval) -> dict[str, Any]:
    """Run the agent on the tasks into `args.out` (episode store and its views); return the summary."""
    from agent_rl.backends import closing
    from agent_rl.rollout.webarena import RunSettings, run_webarena
    from envs.web.tasks import load_bundled_tasks
    from envs.web.urls import SITE_VARS, site_urls

    backend_spec(args, args.model)  # checks --backend / --base-url before any site starts
    claim_folder(args)
    wanted = None if not args.task_ids else [t.strip() for t in args.task_ids.split(",") if t.strip()]
    with ExitStack() as stack:
        auth_dir = args.auth_dir
        if args.bundled:
            from envs.web.sites.launcher import start_sites

            sites = stack.enter_context(start_sites(seed=args.site_seed))
            urls = {k.upper(): v for k, v in sites.urls.items()}
            if args.login == "saved":  # signed in once, before the run
                auth_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="agent-rl-auth-")))
                sites.write_storage_states(auth_dir)
            tasks: list[Any] = load_bundled_tasks(urls, seed=args.site_seed)
            helpers = _helper_table(args, bundled=True)

            def reset_site(site: str) -> None:
                if site != "homepage":
                    sites.reset(site)

            print(f"bundled sites: {', '.join(f'{k}={v}' for k, v in sites.urls.items())}", file=sys.stderr)
        else:
            urls = site_urls(_flag_urls(args), env=None if args.sites_from_env else {})
            tasks = _load(args, urls, wanted)  # only these tasks' sites need URLs
            reset_site = _http_reset(urls)
            helpers = _helper_table(args, bundled=False)
        if wanted is not None:
            tasks = [t for t in tasks if str(t.task_id) in wanted]
            if not tasks:
                raise UserError(f"no task has an id in {args.task_ids}")
        check_reachable(urls, {SITE_VARS[s] for t in tasks for s in t.sites if s in SITE_VARS})
        judged = [str(t.task_id) for t in tasks if needs_judge(t)]
        if args.judge:
            judge = stack.enter_context(closing(_backend(args, args.judge)))
        else:
            judge = WordForWord()
            if judged:
                print(
                    f"warning: {len(judged)} task(s) use fuzzy_match (ids {', '.join(judged[:8])}"
                    f"{', ...' if len(judged) > 8 else ''}); without --judge-model MODEL they count as correct "
                    "only word for word (a lower bound on WebArena's LLM-judged score)",
                    file=sys.stderr,
                )
        backend, params, make_agent = None, None, None
        if args.model in ("oracle", "wrong"):
            from evaluator.webarena import scripted

            scripted_agent = scripted.oracle_agent if args.model == "oracle" else scripted.wrong_agent

            def make_agent(task: Any) -> Any:
                return scripted_agent(task, urls, args.site_seed)
        else:
            from agent_rl.backends import SamplingParams

            backend = stack.enter_context(closing(_backend(args, args.model)))
            params = SamplingParams(max_new_tokens=args.max_new_tokens, temperature=0.0)
        if args.vision and args.no_screenshots:
            raise UserError("--vision needs screenshots; drop --no-screenshots")
        config = WebEnvConfig(
            login=args.login,
            login_flows=_site_kind(args, args.bundled),
            record_network=any(isinstance(t, VerifiedTask) for t in tasks),  # what Verified scores
            max_steps=args.max_steps,
            vision=args.vision,
            screenshots=not args.no_screenshots,
            max_tree_chars=args.max_tree_chars,
            prompt_view=args.prompt_view,
            max_obs_tokens=args.max_obs_tokens,
            grammar=args.grammar,
            auth_dir=str(auth_dir) if auth_dir else None,
            allowed_origins=list(args.allowed_origins or []),
        )
        settings = RunSettings(
            out_dir=args.out,
            urls=urls,
            parallel=args.parallel,
            env=config,
            judge=judge,
            helpers=helpers,
            save_screenshots=not args.no_screenshots,
        )
        rows = run_webarena(tasks, settings, backend, params, make_agent=make_agent, reset_site=reset_site)
    summary = summarise(rows)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    write_html(rows, summary, args.out / "report.html")
    overall = summary["overall"]
    print(json.dumps({k: summary[k] for k in ("overall", "by_site", "by_eval_type")}, indent=2))
    print(
        f"{overall['success']}/{overall['tasks']} succeeded; wrote {args.out}/results.jsonl, summary.json, report.html"
    )
    if summary["errors"]:
        print(f"{len(summary['errors'])} task(s) ended with an error; see summary.json", file=sys.stderr)
    return summary


def _load(args: WebArenaEval, urls: dict[str, str], wanted: list[str] | None) -> list[Any]:
    """The tasks of --tasks or --dataset: WebArena configs, or WebArena-Verified tasks (by their format)."""
    from envs.web.tasks import load_tasks, read_raw

    if args.dataset in (None, "original"):
        raws = read_raw(args.tasks if args.tasks is not None else dataset_file("original"))
        if not any(is_verified(r) for r in raws):
            return load_tasks(raws, urls, task_ids=wanted)
    else:
        raws = read_verified(args.dataset)
    originals = {str(t.get("task_id")): t for t in read_raw(dataset_file("original"))} if args.dataset else {}
    return load_verified_tasks(raws, urls, originals, wanted)


def _http_reset(urls: dict[str, str]) -> Any:
    """Reset a site served by `agent-rl sites serve` (POST /__reset); other deployments are left as they are."""
    from envs.web.sites.launcher import http_reset
    from envs.web.urls import SITE_VARS

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
