"""`agent-rl webarena validate` and `eval`: counts, named problems, exit codes, outputs."""

import json

import pytest

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


def _published_shapes():
    """Tasks shaped like the published ones that used to be unscoreable against real containers."""

    def html(task_id, sites, targets):
        return _task(
            task_id, sites=sites, eval_types=("program_html",), reference_answers=None, program_html=targets
        )

    must = {"must_include": ["x"]}
    return [
        html(
            436,
            ("shopping",),
            [
                {
                    "url": "func:shopping_get_latest_order_url()",
                    "locator": "document.querySelector('.order-details-items.ordered').outerText",
                    "required_contents": must,
                }
            ],
        ),
        html(
            506,
            ("shopping_admin",),
            [
                {
                    "url": "last",
                    "locator": "func:shopping_get_sku_latest_review_author('B0-1')",
                    "required_contents": must,
                }
            ],
        ),
        html(
            507,
            ("shopping_admin",),
            [
                {
                    "url": "last",
                    "locator": "func:shopping_get_sku_latest_review_rating('B0-1')",
                    "required_contents": must,
                }
            ],
        ),
        html(
            481,
            ("gitlab",),
            [
                {
                    "url": "__GITLAB__/p/-/project_members",
                    "locator": "func:gitlab_get_project_memeber_role(__page__, 'ada')",
                    "required_contents": must,
                }
            ],
        ),
        html(
            699,
            ("gitlab",),
            [
                {
                    "url": "__GITLAB__/p/-/milestones",
                    "locator": "document.querySelector('#m').outerText",
                    "prep_actions": ["document.querySelector('#more').click()"],
                    "required_contents": must,
                }
            ],
        ),
        html(
            27,
            ("reddit",),
            [
                {
                    "url": "func:reddit_get_post_url('__last_url__')",
                    "locator": "[...document.querySelectorAll('.c')].map(e => e.outerText).join(' ')",
                    "required_contents": must,
                }
            ],
        ),
    ]


def test_validate_scores_every_published_shape_when_site_urls_are_given(tmp_path, capsys):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(_published_shapes()))
    urls = [
        "--shopping",
        "http://s",
        "--shopping-admin",
        "http://a",
        "--gitlab",
        "http://g",
        "--reddit",
        "http://r",
    ]
    assert main(["validate", "webarena", "--tasks", str(path), *urls, "--out", str(tmp_path / "v")]) == 0
    assert "6 tasks, 6 scoreable" in capsys.readouterr().out
    report = json.loads((tmp_path / "v" / "validate.json").read_text())
    assert [v["scoreable"] for v in report["per_task"]] == [True] * 6
    # the admin-side review helpers read Magento's REST API on the storefront: without its URL they are named
    assert main(["validate", "webarena", "--tasks", str(path), *urls[2:], "--json"]) == 0
    per_task = {v["task_id"]: v for v in json.loads(capsys.readouterr().out)["per_task"]}
    assert not per_task[506]["scoreable"] and "SHOPPING" in per_task[506]["reasons"][0]
    assert per_task[481]["scoreable"] and per_task[699]["scoreable"]
    # the bundled sites' helper table has no GitLab helper
    assert main(["validate", "webarena", "--tasks", str(path), "--helpers", "bundled", "--json"]) == 0
    per_task = {v["task_id"]: v for v in json.loads(capsys.readouterr().out)["per_task"]}
    assert "gitlab_get_project_memeber_role" in per_task[481]["reasons"][0]


def test_task_ids_need_only_the_sites_of_those_tasks(tmp_path, capsys):
    tasks = [
        _task(1),
        _task(2, sites=("reddit",), eval_types=("url_match",), reference_url="__REDDIT__/f/news"),
    ]
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(tasks))
    argv = ["eval", "webarena", "--tasks", str(path), "--shopping", "http://127.0.0.1:9", "--model", "oracle"]
    assert main([*argv, "--task-ids", "1", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "SHOPPING" in err and "unreachable" in err and "REDDIT" not in err  # got past loading task 1
    assert main([*argv, "--out", str(tmp_path / "run")]) == 2
    assert "REDDIT" in capsys.readouterr().err  # all tasks: task 2 needs its site


def test_eval_into_a_folder_of_other_settings_is_refused_before_any_site(tmp_path, capsys):
    """`--model wrong` into the folder of an oracle run that stored an episode: refused, naming the field."""
    from agent_rl.commands.webarena import WebArenaEval, claim_folder
    from agent_rl.core.types import Episode
    from agent_rl.rollout.store import EpisodeStore

    tasks, out = tmp_path / "tasks.json", tmp_path / "out"
    tasks.write_text(json.dumps([_task(1)]))
    argv = ["eval", "webarena", "--tasks", str(tasks), "--shopping", "http://127.0.0.1:9", "--out", str(out)]
    claim_folder(WebArenaEval(model="oracle", out=out, tasks=tasks, shopping="http://127.0.0.1:9"))
    EpisodeStore(out).append(Episode(episode_id="1", task={"task_id": 1}, success=True))
    settings = (out / "settings.json").read_text()

    assert main([*argv, "--model", "wrong"]) == 2
    err = capsys.readouterr().err
    assert "started with other settings (model 'oracle' -> 'wrong')" in err and len(err.splitlines()) == 1
    assert main([*argv, "--model", "oracle", "--max-steps", "5"]) == 2
    assert "(max_steps 30 -> 5)" in capsys.readouterr().err
    assert (out / "settings.json").read_text() == settings

    assert main([*argv, "--model", "oracle", "--parallel", "2"]) == 2  # same settings: on to the sites
    assert "SHOPPING" in capsys.readouterr().err  # ... which are down in this test


@pytest.mark.e2e
def test_a_wrong_agent_into_a_real_oracle_run_is_refused_and_the_oracle_run_resumes(tmp_path, capsys):
    out = tmp_path / "oracle"
    argv = ["eval", "webarena", "--bundled", "--task-ids", "1", "--out", str(out)]
    assert main([*argv, "--model", "oracle"]) == 0
    results = (out / "results.jsonl").read_text()
    capsys.readouterr()
    assert main([*argv, "--model", "wrong"]) == 2
    assert "started with other settings (model 'oracle' -> 'wrong')" in capsys.readouterr().err
    assert main([*argv, "--model", "oracle"]) == 0  # the same settings resume: nothing is redone
    assert (out / "results.jsonl").read_text() == results
