#!/usr/bin/env bash
# The main job on the built-in default: set up, build a tiny local model, and evaluate it on GeneralPoints
# in distribution (id) and out of distribution (rule_ood). Rerunning resumes and rewrites the results.
# DEMO_EPISODES (default 24) sets the number of evaluation hands per variant.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh

# Tiny models run fastest on one thread, and the cores stay free for the environments.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" TOKENIZERS_PARALLELISM=false
run=runs/demo
model="$run/model"
episodes="${DEMO_EPISODES:-24}"

if [ ! -f "$model/config.json" ]; then
    .venv/bin/agent-rl tiny-model --out "$model"
fi
for variant in id rule_ood; do
    # 64 new tokens hold a whole JSON answer in the tiny model's tokenizer.
    .venv/bin/agent-rl eval generalpoints --model "$model" --modality text --variant "$variant" \
        --episodes "$episodes" --seed 0 --max-new-tokens 64 --out "$run/eval_$variant.json"
done
echo "[demo] results: $run/eval_id.json $run/eval_rule_ood.json (Markdown summaries beside them)"

# The main job: SFT vs RL on GeneralPoints with the tiny model (SFT init, then more SFT or multi-turn RL,
# then the compare report). --resume makes a rerun skip the stages that already finished.
.venv/bin/agent-rl run recipes/gp_l_sft_vs_rl_tiny.yaml --out runs/demo --resume
