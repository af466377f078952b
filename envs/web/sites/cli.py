"""`agent-rl sites serve`: run the bundled sites until Ctrl-C and print their URLs and WebArena variables."""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable
from pathlib import Path

from agent_rl.core.bounds import Port, Seed
from agent_rl.core.cli_args import arg_type
from envs.web.sites.base import HARNESS_KEY_VAR, harness_key
from envs.web.sites.launcher import SITE_CLASSES, start_sites


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    serve = add("sites", "serve", "serve the bundled sites on loopback until Ctrl-C")
    serve.set_defaults(main=main)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    serve.add_argument(
        "--port",
        type=arg_type(Port),
        default=0,
        help="first port; the sites take PORT, PORT+1, ... (default: free ports)",
    )
    serve.add_argument(
        "--sites",
        default=",".join(SITE_CLASSES),
        help=f"comma-separated sites to serve (default: {','.join(SITE_CLASSES)})",
    )
    serve.add_argument(
        "--seed",
        type=arg_type(Seed),
        default=0,
        help="seed of the generated content (the bundled tasks are written for seed 0)",
    )
    serve.add_argument(
        "--auth-dir",
        type=Path,
        default=None,
        help="also write signed-in Playwright storage states (<site>_state.json) here",
    )
    serve.add_argument("--verbose", action="store_true", help="log every request")


def main(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    with start_sites(
        args.sites, host=args.host, port=args.port, seed=args.seed, verbose=args.verbose
    ) as sites:
        for key, url in sites.urls.items():
            print(f"{key:<15} {url}")
        if args.auth_dir is not None:
            for key, path in sites.write_storage_states(args.auth_dir).items():
                print(f"storage state   {key:<15} {path}")
        print("\n# paste into a shell to point WebArena task configs at these sites:")
        for var, url in sites.env_vars().items():
            print(f"export {var}={url}")
        print("# and to let a harness in that shell reset them and read their helper endpoints:")
        print(f"export {HARNESS_KEY_VAR}={harness_key()}")
        print("\nServing; press Ctrl-C to stop.", flush=True)
        stop = stop or threading.Event()
        try:
            while not stop.wait(0.5):  # a timed wait lets Ctrl-C through
                pass
        except KeyboardInterrupt:
            print("stopped", flush=True)
    return 0
