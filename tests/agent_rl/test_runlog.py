"""Run metrics survive resumes without duplicated rows."""

import csv

from agent_rl.runlog import MetricsLogger


def test_a_resumed_stage_logging_the_same_rows_again_does_not_duplicate_them(tmp_path):
    first = MetricsLogger(tmp_path)
    first.log({"branch": "SFT", "step": 1, "id_success": 0.5})
    first.log({"branch": "SFT", "step": 2, "id_success": 0.75})
    resumed = MetricsLogger(tmp_path)  # a rerun of the same stage logs its rows again
    resumed.log({"branch": "SFT", "step": 1, "id_success": 0.5})
    resumed.log({"branch": "SFT", "step": 2, "id_success": 0.75})
    resumed.log({"branch": "SFT", "step": 3, "id_success": 1.0})
    assert [r["step"] for r in MetricsLogger(tmp_path).records()] == [1, 2, 3]
    with (tmp_path / "metrics.csv").open() as f:
        assert [row["step"] for row in csv.DictReader(f)] == ["1", "2", "3"]


def test_a_row_with_the_same_key_replaces_the_earlier_one(tmp_path):
    MetricsLogger(tmp_path).log({"iteration": 1, "loss": 0.9}, key=("iteration",))
    MetricsLogger(tmp_path).log({"iteration": 2, "loss": 0.8}, key=("iteration",))
    resumed = MetricsLogger(tmp_path)  # iteration 2 was logged, then the run died before its checkpoint
    resumed.log({"iteration": 2, "loss": 0.7}, key=("iteration",))
    resumed.log({"iteration": 3, "loss": 0.6}, key=("iteration",))
    assert [(r["iteration"], r["loss"]) for r in resumed.records()] == [(1, 0.9), (2, 0.7), (3, 0.6)]
    with (tmp_path / "metrics.csv").open() as f:
        assert [(row["iteration"], row["loss"]) for row in csv.DictReader(f)] == [
            ("1", "0.9"),
            ("2", "0.7"),
            ("3", "0.6"),
        ]


def test_metrics_with_a_torn_last_line_still_read(tmp_path):
    logger = MetricsLogger(tmp_path)
    logger.log({"step": 1})
    with logger.jsonl_path.open("a") as f:
        f.write('{"step": 2, "lo')
    assert [r["step"] for r in MetricsLogger(tmp_path).records()] == [1]
    MetricsLogger(tmp_path).log({"step": 3})
    assert [r["step"] for r in MetricsLogger(tmp_path).records()] == [1, 3]
