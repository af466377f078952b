import json

import pytest

from agent_rl.cli import main

pytestmark = pytest.mark.e2e  # starts `agent-rl serve` in a process of its own


def test_reliability_bench_quick_serves_every_request_and_compares_readers(tmp_path):
    assert main(["bench", "reliability", "--quick", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "reliability.json").read_text())
    load = result["serve_load"]
    assert load["requests"] == load["ok"] == 20 and load["resets"] == load["5xx"] == 0
    assert result["served_over_in_process"] > 0 and result["jsonl"]["shared_over_plain"] > 0
