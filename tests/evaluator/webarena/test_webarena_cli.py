"""`agent-rl webarena validate` and `eval`: counts, named problems, exit codes, outputs."""

import json

from agent_rl.cli import main


def _task(task_id, sites=("shopping",), eval_types=("string_match",), **ev):
    ev.setdefault("reference_answers", {"exact_match": "42"})
    return {
        "task_id": task_id,
        "sites": list(sites),
        "intent": f"task {task_id}",
        "start_url": "__SHOPPING__/",
        "require_login": False,
        "storage_state": None,
        "require_reset": False,
        "eval": {"eval_types": list(eval_types), **ev},
    }


def test_validate_counts_and_names_unsupported_tasks(tmp_path, capsys):
    tasks = [
        _task(1),
        _task(2, sites=("reddit",), eval_types=("url_match",), reference_url="__REDDIT__/f/news"),
        _task(3, eval_types=("pixel_match",)),
        _task(
            4,
            eval_types=("program_html",),
            program_html=[
                {
                    "url": "last",
                    "locator": "func:no_such_helper()",
                    "required_contents": {"must_include": ["x"]},
                }
            ],
        ),
    ]
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(tasks))
    assert main(["validate", "webarena", "--tasks", str(path)]) == 0
    out = capsys.readouterr().out
    assert "4 tasks" in out
    assert "shopping" in out and "reddit" in out and "url_match" in out and "string_match" in out
    assert "task 3" in out and "pixel_match" in out
    assert "task 4" in out and "no_such_helper" in out


def test_validate_malformed_entry_exits_non_zero(tmp_path, capsys):
    bad = _task(5)
    del bad["intent"]
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([_task(1), bad]))
    assert main(["validate", "webarena", "--tasks", str(path)]) == 1
    assert "task 5" in capsys.readouterr().out


def test_validate_non_json_file_is_a_user_error(tmp_path, capsys):
    path = tmp_path / "tasks.json"
    path.write_text("{not json")
    assert main(["validate", "webarena", "--tasks", str(path)]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_eval_unreachable_site_names_variable(tmp_path, capsys):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([_task(1)]))
    code = main(
        [
            "eval",
            "webarena",
            "--tasks",
            str(path),
            "--shopping",
            "http://127.0.0.1:9",
            "--model",
            "oracle",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "SHOPPING" in err and "http://127.0.0.1:9" in err


def test_eval_missing_site_url_names_variable(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SHOPPING", raising=False)
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([_task(1)]))
    assert (
        main(
            [
                "eval",
                "webarena",
                "--tasks",
                str(path),
                "--sites-from-env",
                "--model",
                "oracle",
                "--out",
                str(tmp_path / "out"),
            ]
        )
        == 2
    )
    assert "SHOPPING" in capsys.readouterr().err
