#!/usr/bin/env bash
# GPU check of the control agents (issue 14), under 3 minutes on one H200. Prepared here; run by the integrator
# on a machine with a GPU:   bash scripts/device_check_control.sh [OUT_DIR]
# 1. CPU-vs-CUDA equality of one FQL update from the same weights and batch (same noise drawn on the CPU).
# 2. A few hundred FQL updates on CUDA at the reference size ((512,)*4, batch 256, 10 flow steps), updates/s,
#    eager and torch.compile'd.
set -euo pipefail
OUT=${1:-${OUT:-runs/device_check_control}}
mkdir -p "$OUT"
timeout 170 python - "$OUT" <<'PY'
import json, sys, time
import torch
from agent_rl.control.fql import FQL, FQLConfig
from agent_rl.core.device import default_device

out = sys.argv[1]
device = default_device()
assert device.type == "cuda", f"no CUDA device here (default_device() = {device})"
result = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__}
OBS, ACT = 28, 5

def batch(n, dev, seed=0):
    g = torch.Generator().manual_seed(seed)
    b = {"observations": torch.randn(n, OBS, generator=g), "next_observations": torch.randn(n, OBS, generator=g),
         "actions": torch.rand(n, ACT, generator=g) * 2 - 1, "rewards": -torch.rand(n, generator=g),
         "masks": torch.ones(n)}
    return {k: v.to(dev) for k, v in b.items()}

# 1. equality
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
cfg = FQLConfig(actor_hidden=(256, 256), critic_hidden=(256, 256), flow_steps=10)
torch.manual_seed(0)
cpu = FQL(OBS, ACT, cfg, device="cpu")
gpu = FQL(OBS, ACT, cfg, device="cuda")
gpu.load_state_dict(cpu.state_dict())
for agent in (cpu, gpu):  # the same noise and flow times for both, drawn on the CPU
    gen = torch.Generator().manual_seed(1)
    agent._noise = lambda n, a=agent, g=gen: torch.randn(n, ACT, generator=g).to(a.device)
    agent._times = lambda n, a=agent, g=gen: torch.rand(n, 1, generator=g).to(a.device)
    agent.info = {k: float(v) for k, v in agent.update(batch(256, agent.device)).items()}
# Losses must agree to float precision; after Adam's first step (≈ lr·sign(g)) a parameter can differ by up to
# 2·lr where its gradient is ~0 and rounding flips the sign, so parameters are compared on average.
diffs = torch.cat([(a.detach().cpu() - b.detach()).abs().flatten() for a, b in zip(gpu.parameters(), cpu.parameters())])
loss_rel = max(abs(cpu.info[k] - gpu.info[k]) / (abs(cpu.info[k]) + 1e-8) for k in cpu.info)
result["cpu_vs_cuda"] = {"losses": {"cpu": cpu.info, "cuda": gpu.info}, "max_loss_rel_diff": loss_rel,
                         "param_max_diff": float(diffs.max()), "param_mean_diff": float(diffs.mean())}
result["cpu_vs_cuda_equal"] = loss_rel < 1e-4 and float(diffs.max()) <= 2 * cfg.lr + 1e-6 and float(diffs.mean()) < 1e-5
torch.backends.cuda.matmul.allow_tf32 = True

# 2. speed at the reference size
def speed(compile_, steps=300):
    torch.manual_seed(0)
    agent = FQL(OBS, ACT, FQLConfig(), device="cuda")
    if compile_:
        agent.compile()
    b = batch(256, "cuda")
    t = time.perf_counter()
    for _ in range(5):
        agent.update(b)
    torch.cuda.synchronize()
    warm = time.perf_counter() - t
    t = time.perf_counter()
    for _ in range(steps):
        info = agent.update(b)
    torch.cuda.synchronize()
    return {"updates_per_s": round(steps / (time.perf_counter() - t), 1), "warmup_s": round(warm, 1),
            "critic_loss": float(info["critic_loss"])}
result["fql_cuda_eager"] = speed(False)
try:
    result["fql_cuda_compiled"] = speed(True)
except Exception as err:  # report, do not hide: compile may be unavailable on the machine
    result["fql_cuda_compiled"] = {"error": f"{type(err).__name__}: {err}"[:300]}
print(json.dumps(result, indent=2))
open(f"{out}/device_check_control.json", "w").write(json.dumps(result, indent=2))
assert result["cpu_vs_cuda_equal"], "CPU and CUDA updates differ"
PY
