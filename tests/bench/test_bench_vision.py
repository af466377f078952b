"""The vision benchmark in quick mode: rows stored at the model's input size are faster and give equal pixels."""

import json

from agent_rl.cli import main


def test_vision_bench_quick_writes_json(tmp_path):
    assert main(["bench", "vision", "--quick", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "vision.json").read_text())
    assert result["benchmark"] == "vision" and result["rows"] == 8
    assert result["same_pixel_values"] is True
    for layout in ("stored_1200px", "stored_at_input_size"):
        assert all(value > 0 for value in result[layout].values()), layout
    assert result["read_and_collate_speedup"] > 1 and result["build_speedup"] > 1
