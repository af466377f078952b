"""Reliability costs, side by side in one run on the same tiny model and files.

- serve under load: N concurrent loopback clients (a new connection per request) against `agent-rl serve` in
  its own process, counting resets and 5xx answers, versus the same prompts generated in process in batches
  of the same size;
- the shared JSONL reader (bytes, torn-tail aware) versus plain `json.loads` of each text line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from agent_rl.backends.base import ChatPrompt, SamplingParams
from agent_rl.backends.transformers_backend import TransformersBackend
from agent_rl.core.bounds import Count
from agent_rl.core.cli_args import arg_type
from agent_rl.core.jsonl import append_jsonl, read_jsonl
from agent_rl.models.tiny import build_tiny_text_model


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clients", type=arg_type(Count), default=50, help="concurrent clients")
    parser.add_argument("--requests", type=arg_type(Count), default=4, help="requests per client")
    parser.add_argument("--records", type=arg_type(Count), default=20_000, help="JSONL records to read")


@contextlib.contextmanager
def _serve(model: Path, batch: int) -> Iterator[str]:
    """`agent-rl serve` in a process of its own on a free port; yields its base URL."""
    command = [sys.executable, "-m", "agent_rl.cli", "serve", "--model", str(model), "--port", "0"]
    process = subprocess.Popen([*command, "--max-batch-size", str(batch)], stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()  # "serving MODEL at URL (...)"
        if " at " not in line:
            raise RuntimeError(f"agent-rl serve did not start: {line!r}")
        base_url = line.split(" at ", 1)[1].split()[0]
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(base_url + "/health", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _load(base_url: str, clients: int, requests: int, max_tokens: int) -> dict:
    outcomes: list[str] = []
    latencies: list[float] = []
    lock = threading.Lock()

    def client(i: int) -> None:
        for k in range(requests):
            body = {"messages": [{"role": "user", "content": f"hand {i}.{k}"}], "max_tokens": max_tokens}
            request = urllib.request.Request(
                base_url + "/chat/completions",
                data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json"},
            )
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    response.read()
                    outcome = "ok"
            except urllib.error.HTTPError as err:
                outcome = "5xx" if err.code >= 500 else "4xx"
            except (ConnectionResetError, ConnectionRefusedError, urllib.error.URLError, TimeoutError):
                outcome = "reset"
            with lock:
                outcomes.append(outcome)
                latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(outcomes),
        "ok": outcomes.count("ok"),
        "resets": outcomes.count("reset"),
        "5xx": outcomes.count("5xx"),
        "4xx": outcomes.count("4xx"),
        "seconds": round(seconds, 2),
        "requests_per_s": round(len(outcomes) / seconds, 2),
        "latency_p50_s": round(statistics.median(latencies), 3),
        "latency_p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3),
    }


def _in_process(backend: TransformersBackend, n: int, batch: int, max_tokens: int) -> float:
    """Requests per second, generated on a thread of its own as the server's worker generates them (torch's
    speed differs between the main thread and others on a loaded machine)."""
    prompts = [ChatPrompt(messages=[{"role": "user", "content": f"hand {i}"}]) for i in range(n)]
    params = SamplingParams(max_new_tokens=max_tokens)
    seconds: list[float] = []

    def work() -> None:
        started = time.perf_counter()
        for start in range(0, n, batch):
            backend.generate(prompts[start : start + batch], params)
        seconds.append(time.perf_counter() - started)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    return n / seconds[0]


def _readers(folder: Path, n: int) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "records.jsonl"
    for i in range(n):
        append_jsonl(path, {"id": i, "text": f"résumé ♠ {i}", "reward": -1.0, "turns": [{"a": i}] * 3})
    shared_s, plain_s = [], []
    for _ in range(5):  # interleaved, best of five: the least disturbed run of each
        started = time.perf_counter()
        shared = read_jsonl(path)
        shared_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        plain = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        plain_s.append(time.perf_counter() - started)
        assert shared == plain
    shared_s, plain_s = min(shared_s), min(plain_s)
    return {
        "records": n,
        "shared_reader_records_per_s": round(n / shared_s),
        "plain_json_loads_records_per_s": round(n / plain_s),
        "shared_over_plain": round(plain_s / shared_s, 3),
    }


def run(args: argparse.Namespace) -> dict:
    clients, requests = (10, 2) if args.quick else (args.clients, args.requests)
    max_tokens, batch = 8, 32
    with tempfile.TemporaryDirectory() as tmp:
        model = build_tiny_text_model(Path(tmp) / "tiny", seed=0)
        backend = TransformersBackend(model, max_batch_size=batch)
        _in_process(backend, 4, batch, max_tokens)  # warm-up
        rates, loads = [], []
        with _serve(model, batch) as base_url:
            _load(base_url, 2, 1, max_tokens)  # warm-up
            for _ in range(1 if args.quick else 3):  # interleaved rounds: a shared machine's load drifts
                rates.append(_in_process(backend, clients * requests, batch, max_tokens))
                loads.append(_load(base_url, clients, requests, max_tokens))
        readers = _readers(Path(tmp), 2_000 if args.quick else args.records)
    load = sorted(loads, key=lambda x: x["requests_per_s"])[len(loads) // 2]
    in_process = statistics.median(rates)
    return {
        "rounds": len(loads),
        "serve_load": {"clients": clients, "max_tokens": max_tokens, **load},
        "serve_load_all_rounds": {
            k: sum(x[k] for x in loads) for k in ("requests", "ok", "resets", "5xx", "4xx")
        },
        "in_process_requests_per_s": round(in_process, 2),
        "rounds_requests_per_s": {
            "served": [x["requests_per_s"] for x in loads],
            "in_process": [round(r, 2) for r in rates],
        },
        "served_over_in_process": round(load["requests_per_s"] / in_process, 3),
        "jsonl": readers,
    }
