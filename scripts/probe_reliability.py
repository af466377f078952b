"""Re-probe the failures issue 16 lists (the model server, the episode store and resume, input validation) and
print how many hold now. A probe holds when the system does what the issue asks for instead of what it did.

    python scripts/probe_reliability.py [--only server,store,resume,input] [--json OUT]

Runs on loopback with a tiny model built into a temporary folder; a few minutes on two CPU cores.
"""

from __future__ import annotations

import argparse
import concurrent.futures as futures
import contextlib
import http.client
import io
import json
import os
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
PROBES: list[tuple[str, str, Callable[[Path], bool | str]]] = []


def probe(group: str, name: str):
    def register(fn: Callable[[Path], bool | str]) -> Callable[[Path], bool | str]:
        PROBES.append((group, name, fn))
        return fn

    return register


# ---------------------------------------------------------------- the model server
SERVER: dict[str, Any] = {}


def server(tmp: Path) -> Any:
    if "server" not in SERVER:
        from agent_rl.backends.openai_server import ModelServer
        from agent_rl.backends.transformers_backend import TransformersBackend

        backend = TransformersBackend(str(tiny_model(tmp)), max_batch_size=8)
        SERVER["server"] = ModelServer(backend, "tiny", read_timeout_s=2.0).start()
    return SERVER["server"]


def post(
    tmp: Path, body: Any, path: str = "/v1/chat/completions", raw: bytes | None = None
) -> tuple[int, bytes]:
    host, port = server(tmp).socket.getsockname()[:2]
    conn = http.client.HTTPConnection(host, port, timeout=120)
    data = raw if raw is not None else json.dumps(body).encode()
    conn.request("POST", path, body=data, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, response.read()


def chat(**extra: Any) -> dict[str, Any]:
    return {"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2, **extra}


def status_of(tmp: Path, body: Any) -> int:
    return post(tmp, body)[0]


@probe("server", "5 MB prompt is refused (4xx), the server lives on")
def _(tmp: Path) -> bool:
    code = status_of(tmp, {**chat(), "messages": [{"role": "user", "content": "x" * 5_000_000}]})
    return 400 <= code < 500 and status_of(tmp, chat()) == 200


@probe("server", "500 KB prompt is refused at once (under 10 s)")
def _(tmp: Path) -> bool:
    started = time.monotonic()
    code = status_of(tmp, {**chat(), "messages": [{"role": "user", "content": "x " * 250_000}]})
    return 400 <= code < 500 and time.monotonic() - started < 10


def concurrent_statuses(tmp: Path, bodies: list[Any]) -> list[int]:
    with futures.ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(lambda b: status_of(tmp, b), bodies))


@probe("server", "a seed of 2**70 fails only its own request among 6")
def _(tmp: Path) -> bool:
    codes = concurrent_statuses(tmp, [chat(seed=2**70)] + [chat(seed=i) for i in range(5)])
    return codes[0] == 400 and codes[1:] == [200] * 5


@probe("server", "an image sent to a text model fails only its own requests among 20")
def _(tmp: Path) -> bool:
    pixel = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    image = {"role": "user", "content": [{"type": "image_url", "image_url": {"url": pixel}}]}
    bodies = [{**chat(), "messages": [image]}] * 2 + [chat()] * 18
    codes = concurrent_statuses(tmp, bodies)
    return all(400 <= c < 500 for c in codes[:2]) and codes[2:] == [200] * 18


@probe("server", "50 concurrent clients: no connection reset, no 5xx")
def _(tmp: Path) -> bool | str:
    try:
        codes = concurrent_statuses(tmp, [chat(max_tokens=1)] * 50)
    except (ConnectionResetError, http.client.RemoteDisconnected) as err:
        return f"reset: {err}"
    return all(c == 200 for c in codes) or f"statuses {sorted(set(codes))}"


@probe("server", "a Content-Length longer than the body does not hold the server")
def _(tmp: Path) -> bool:
    host, port = server(tmp).socket.getsockname()[:2]
    with socket.create_connection((host, port)) as stuck:
        stuck.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        fine = status_of(tmp, chat()) == 200  # another client is served meanwhile
        stuck.settimeout(10)
        started = time.monotonic()
        with contextlib.suppress(OSError):
            stuck.recv(1024)  # the server answers (408) or closes within its read timeout
        return fine and time.monotonic() - started < 10


for label, extra in {
    "max_tokens -5": {"max_tokens": -5},
    "max_tokens 0": {"max_tokens": 0},
    "top_p 0": {"top_p": 0},
    "top_p 5": {"top_p": 5},
    "seed 2**70 alone": {"seed": 2**70},
    "temperature -1": {"temperature": -1},
    "temperature NaN": {"temperature": float("nan")},
    "temperature infinite": {"temperature": float("inf")},
    "n: [2]": {"n": [2]},
}.items():

    def check(tmp: Path, extra: dict[str, Any] = extra) -> bool:
        return status_of(tmp, chat(**extra)) == 400

    probe("server", f"{label} is a 400")(check)


@probe("server", "an image_url given as a plain string is a 400")
def _(tmp: Path) -> bool:
    message = {"role": "user", "content": [{"type": "image_url", "image_url": "http://x/y.png"}]}
    return status_of(tmp, {**chat(), "messages": [message]}) == 400


@probe("server", "stream: true answers server-sent events ending in [DONE]")
def _(tmp: Path) -> bool:
    code, body = post(tmp, chat(stream=True))
    return code == 200 and body.startswith(b"data: ") and body.rstrip().endswith(b"data: [DONE]")


@probe("server", "n: 2 gives two choices")
def _(tmp: Path) -> bool:
    code, body = post(tmp, chat(n=2))
    return code == 200 and len(json.loads(body)["choices"]) == 2


@probe("server", "/v1/completions exists")
def _(tmp: Path) -> bool:
    code, body = post(tmp, {"model": "tiny", "prompt": "hi", "max_tokens": 2}, "/v1/completions")
    return code == 200 and "text" in json.loads(body)["choices"][0]


# ---------------------------------------------------------------- the episode store
def episode(i: int, text: str = "ok"):
    from agent_rl.core.types import Episode

    return Episode(episode_id=f"e{i}", task={"intent": text}, success=True)


@probe("store", "a last complete record without its newline is kept on rerun")
def _(tmp: Path) -> bool:
    from agent_rl.rollout.store import EpisodeStore

    store = EpisodeStore(tmp / "nl")
    store.append(episode(0))
    store.append(episode(1))
    store.path.write_bytes(store.path.read_bytes().rstrip(b"\n"))
    again = EpisodeStore(tmp / "nl")
    again.append(episode(2))
    return again.finished_ids() >= {"e0", "e1", "e2"} and len(EpisodeStore(tmp / "nl").read()) == 3


@probe("store", "a torn last line cut inside a multibyte character does not block resume")
def _(tmp: Path) -> bool:
    from agent_rl.rollout.store import EpisodeStore

    store = EpisodeStore(tmp / "mb")
    store.append(episode(0, "café ☕"))
    line = json.dumps(episode(1, "☕☕☕").to_dict(), ensure_ascii=False).encode()
    cut = line.index("☕".encode()) + 1
    with store.path.open("ab") as f:
        f.write(line[:cut])
    return [e.episode_id for e in EpisodeStore(tmp / "mb").read()] == ["e0"]


@probe("store", "results.jsonl / judge input: a torn tail is skipped, a garbage line is one clear error")
def _(tmp: Path) -> bool:
    from agent_rl.core.jsonl import read_jsonl
    from agent_rl.errors import UserError
    from agent_rl.rollout.store import EpisodeStore

    path = tmp / "results.jsonl"
    path.write_text('{"task_id": 1}\n{"task_id": 2')
    (tmp / "judge").mkdir()
    (tmp / "judge" / "episodes.jsonl").write_text(json.dumps(episode(0).to_dict()) + "\n{garbage")
    torn_skipped = read_jsonl(path) == [{"task_id": 1}] and len(EpisodeStore(tmp / "judge").read()) == 1
    path.write_text('{"task_id": 1}\nnot json at all\n{"task_id": 2}\n')
    try:
        read_jsonl(path)
    except UserError as err:
        return torn_skipped and "line 2" in str(err)
    return False


@probe("store", "metric rows are not duplicated when a resumed stage logs them again")
def _(tmp: Path) -> bool:
    from agent_rl.runlog import MetricsLogger

    for _ in range(2):  # the first run, then the resumed one
        logger = MetricsLogger(tmp / "metrics")
        logger.log({"iteration": 1, "loss": 0.5}, key=("iteration",))
        logger.log({"iteration": 2, "loss": 0.25}, key=("iteration",))
    return [r["iteration"] for r in MetricsLogger(tmp / "metrics").records()] == [1, 2]


# ---------------------------------------------------------------- resume refuses mixed settings
def tiny_model(tmp: Path) -> Path:
    folder = tmp.parent / "tiny-model"  # one for every probe
    if not folder.exists():
        from agent_rl.models.tiny import build_tiny_text_model

        build_tiny_text_model(folder, seed=0)
    return folder


def cli(argv: list[str]) -> tuple[int, str]:
    from agent_rl.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as done:
            code = done.code
        except Exception as exc:  # a traceback is what the probe looks for
            code, err = -1, io.StringIO(f"Traceback: {type(exc).__name__}: {exc}")
    return code, err.getvalue()


def one_line_refusal(code: int, err: str, *needles: str) -> bool:
    lines = [line for line in err.splitlines() if line.strip() and "Loading weights" not in line]
    return code == 2 and len(lines) == 1 and "Traceback" not in err and all(n in err for n in needles)


def started_run(tmp: Path) -> tuple[Path, Path]:
    """A run folder whose model was built and whose first stage then stopped (as after a kill)."""
    recipe, run = tmp / "r.yaml", tmp / "run"
    if not run.exists():
        recipe.write_text(
            "name: r\nmodel: tiny\ntiny: {hidden_size: 32}\nstages:\n"
            "  - {name: c, type: compare}\n"  # no branch input: stops after the model is built
            "  - {name: rl, type: rl, rl: {hands_per_iter: 2}}\n"
        )
        cli(["run", str(recipe), "--out", str(run)])
    return recipe, run


for label, change, field in [
    ("hands_per_iter 2 -> 3", "stages.rl.rl.hands_per_iter=3", "hands_per_iter 2 -> 3"),
    ("--set seed=5", "seed=5", "seed 0 -> 5"),
    ("tiny.hidden_size=64", "tiny.hidden_size=64", "tiny.hidden_size 32 -> 64"),
]:

    def check(tmp: Path, change: str = change, field: str = field) -> bool:
        recipe, run = started_run(tmp)
        before = (run / "config.resolved.yaml").read_text()
        code, err = cli(["run", str(recipe), "--out", str(run), "--resume", "--set", change])
        return one_line_refusal(code, err, field) and (run / "config.resolved.yaml").read_text() == before

    probe("resume", f"run --resume with {label} is refused and config.resolved.yaml kept")(check)


@probe("resume", "eval webarena --model wrong into an oracle run's folder is refused")
def _(tmp: Path) -> bool:
    from agent_rl.commands.webarena import WebArenaEval, claim_folder
    from agent_rl.rollout.store import EpisodeStore

    out = tmp / "wa"
    claim_folder(WebArenaEval(model="oracle", out=out, bundled=True))
    EpisodeStore(out).append(episode(0))
    code, err = cli(["eval", "webarena", "--bundled", "--model", "wrong", "--out", str(out)])
    return one_line_refusal(code, err, "model 'oracle' -> 'wrong'")


@probe("resume", "eval generalpoints with another seed into a finished folder is refused")
def _(tmp: Path) -> bool:
    out = tmp / "gp"
    argv = ["eval", "generalpoints", "--model", str(tiny_model(tmp)), "--out", str(out), "--no-progress"]
    argv += ["--episodes", "2", "--max-attempts", "1", "--max-new-tokens", "2"]
    first, _ = cli(argv)
    code, err = cli([*argv, "--seed", "5"])
    return first == 0 and one_line_refusal(code, err, "seed 0 -> 5")


@probe("resume", "data generate rerun with another seed is refused, not 'wrote ...'")
def _(tmp: Path) -> bool:
    argv = ["data", "generate", "--episodes", "10", "--episode-steps", "10", "--out", str(tmp / "data")]
    first, _ = cli(argv)
    code, err = cli([*argv, "--seed", "1"])
    return first == 0 and one_line_refusal(code, err, "seed 0 -> 1")


# ---------------------------------------------------------------- input validation: one line, exit 2
def inputs(tmp: Path) -> dict[str, str]:
    (tmp / "afile").write_text("")
    (tmp / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    base = "name: x\nmodel: tiny\nstages:\n  - {name: sft, type: sft}\n  - {name: rl, type: rl, rl: "
    (tmp / "deep.yaml").write_text(base + "[" * 5_000 + "]" * 5_000 + "}\n")
    (tmp / "recipe.yaml").write_text(base + "{}}\n")
    (tmp / "none.yaml").write_text("name: x\nstages: []\n")
    (tmp / "empty_run").mkdir(exist_ok=True)
    (tmp / "empty_run" / "episodes.jsonl").write_text("")
    return {"{t}": str(tmp)}


M = "no-such-model"
BAD_INPUTS = [
    ["run", "{t}/recipe.yaml", "--out", "{t}/r", "--set", "stages.rl.rl.iterations=-1"],
    ["run", "{t}/recipe.yaml", "--out", "{t}/r", "--set", "stages.rl.rl.micro_batch_size=0"],
    ["run", "{t}/recipe.yaml", "--out", "{t}/r", "--set", "stages.sft.sft.batch_size=0"],
    ["run", "{t}/recipe.yaml", "--out", "{t}/r", "--set", "stages.rl.rl.group_size=0"],
    ["run", "{t}/recipe.yaml", "--out", "{t}/r", "--set", "stages.rl.rl.hands_per_iter=0"],
    ["run", "{t}/none.yaml", "--out", "{t}/r"],
    ["bench", "rl", "--group", "0"],
    ["eval", "generalpoints", "--model", M, "--out", "{t}/afile/x"],
    ["eval", "generalpoints", "--model", M, "--out", "/proc/x"],
    ["run", "{t}/recipe.yaml", "--out", "{t}/afile/x"],
    ["run", "{t}/recipe.yaml", "--out", "/proc/x"],
    ["eval", "webarena", "--bundled", "--model", "oracle", "--out", "{t}/afile/x"],
    ["eval", "webarena", "--bundled", "--model", "oracle", "--out", "/proc/x"],
    ["eval", "judge", "--model", M, "--runs", "{t}/empty_run", "--out", "{t}/afile/x"],
    ["eval", "judge", "--model", M, "--runs", "{t}/empty_run", "--out", "/proc/x"],
    ["data", "generate", "--out", "{t}/afile/x"],
    ["data", "generate", "--out", "/proc/x"],
    ["bench", "rollout", "--out", "{t}/afile/x"],
    ["bench", "rollout", "--out", "/proc/x"],
    ["serve", "--model", M, "--port", "-1"],
    ["serve", "--model", M, "--port", "99999"],
    ["serve", "--model", M, "--port", "{busy}"],
    ["serve", "--model", M, "--host", "256.0.0.1"],
    ["eval", "generalpoints", "--model", M, "--seed", "-1", "--out", "{t}/g"],
    ["eval", "judge", "--model", M, "--runs", "{t}/empty_run", "--max-new-tokens", "0", "--out", "{t}/j"],
    ["data", "generate", "--episode-steps", "0", "--out", "{t}/d"],
    ["data", "generate", "--env", "cube-singel-play-v0", "--out", "{t}/d"],
    ["validate", "webarena", "--tasks", "{t}/deep.json"],
    ["run", "{t}/deep.yaml", "--out", "{t}/r"],
    ["eval", "generalpoints", "--model", M, "--temperature", "nan", "--out", "{t}/g"],
    ["eval", "generalpoints", "--model", M, "--episodes", "100000000", "--out", "{t}/g"],
    ["eval", "webarena", "--bundled", "--model", "oracle", "--max-steps", "-1", "--out", "{t}/w"],
    ["eval", "judge", "--model", M, "--runs", "{t}/empty_run", "--last-k", "-3", "--out", "{t}/j"],
    ["eval", "judge", "--model", M, "--runs", "{t}/empty_run", "--out", "{t}/j"],
    ["bench", "rollout", "--episodes", "0"],
]
for argv in BAD_INPUTS:

    def check(tmp: Path, argv: list[str] = argv) -> bool | str:
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            values = {**inputs(tmp), "{busy}": str(busy.getsockname()[1])}
            filled = [a.replace("{t}", values["{t}"]).replace("{busy}", values["{busy}"]) for a in argv]
            code, err = cli(filled)
        ok = one_line_refusal(code, err) and "not found: pass a built-in name" not in err  # no model reached
        return ok or f"exit {code}: {err.strip()[-160:]}"

    probe("input", " ".join(argv))(check)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default="server,store,resume,input")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    groups = args.only.split(",")
    rows = []
    with tempfile.TemporaryDirectory(prefix="agent-rl-probe-") as tmp:
        try:
            for index, (group, name, fn) in enumerate(p for p in PROBES if p[0] in groups):
                folder = Path(tmp) / f"p{index}"
                folder.mkdir()
                started = time.monotonic()
                try:
                    outcome = fn(folder)
                except Exception as err:  # a probe that crashes has found a failure
                    outcome = f"{type(err).__name__}: {err}"
                held = outcome is True
                rows.append(
                    {"group": group, "probe": name, "held": held, "detail": None if held else str(outcome)}
                )
                print(
                    f"{'held' if held else 'FAIL'} {time.monotonic() - started:5.1f}s [{group}] {name}"
                    + ("" if held else f"  -> {outcome}"),
                    flush=True,
                )
        finally:
            if "server" in SERVER:
                SERVER["server"].stop()
    by_group = {g: [r["held"] for r in rows if r["group"] == g] for g in groups}
    print(", ".join(f"{g}: {sum(v)}/{len(v)} held" for g, v in by_group.items()))
    print(f"all: {sum(r['held'] for r in rows)}/{len(rows)} held")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows}, indent=2))
    return 0 if all(r["held"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
