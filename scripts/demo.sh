#!/usr/bin/env bash
# The main job on the built-in default: set up, then compare SFT and RL on GeneralPoints with a tiny local
# model, end to end on a CPU (recipes/gp_l_sft_vs_rl_tiny.yaml): SFT init -> more SFT or multi-turn RL ->
# evaluation on ID and rule-OOD hands -> a plot and a table. A rerun resumes where it stopped.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh

# Tiny models run fastest on one thread each.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" TOKENIZERS_PARALLELISM=false
.venv/bin/agent-rl run recipes/gp_l_sft_vs_rl_tiny.yaml --out "${DEMO_OUT:-runs/demo}" --resume
