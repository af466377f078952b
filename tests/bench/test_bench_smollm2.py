import json

import pytest

from agent_rl.cli import main as cli_main

pytestmark = pytest.mark.e2e


def test_smollm2_bench_quick_reports_generation_and_training_ratios(tmp_path):
    assert cli_main(["bench", "smollm2", "--quick", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "smollm2.json").read_text())
    assert result["benchmark"] == "smollm2" and result["quick"] is True
    assert result["generated_tokens"]["batched"] > 0 and result["generated_tokens"]["one_at_a_time"] > 0
    assert 0 < result["trainable_parameters"]["lora"] < 0.05 * result["trainable_parameters"]["full"]
    for key in ("batched_vs_one_at_a_time_tokens_per_s", "lora_vs_full_sft_tokens_per_s"):
        assert result[key] > 0 and result[f"wall_{key}"] > 0
    assert set(result["cpu_time_tokens_per_s"]) == {
        "batched_generation",
        "one_at_a_time_generation",
        "lora_sft",
        "full_sft",
    }
