"""The published task sets from webarena-verified: all 812 original tasks scoreable here with site URLs given,
and the Verified release counted by evaluator, action and status."""

import importlib.util
import json

import pytest

from agent_rl.cli import main
from evaluator.webarena.datasets import read_verified, verified_counts

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("webarena_verified") is None,
    reason="webarena-verified is not installed (scripts/setup.sh installs it with --no-deps)",
)
SITES = {
    "shopping": "http://s:7770",
    "shopping-admin": "http://s:7780/admin",
    "reddit": "http://r:9999",
    "gitlab": "http://g:8023",
    "wikipedia": "http://w:8888",
    "map": "http://m:3000",
    "homepage": "http://h:4399",
}


def test_every_published_task_is_scoreable_with_site_urls(tmp_path):
    flags = [arg for name, url in SITES.items() for arg in (f"--{name}", url)]
    assert main(["validate", "webarena", "--dataset", "original", *flags, "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "validate.json").read_text())
    assert report["tasks"] == 812 and report["scoreable"] == 812
    assert report["by_eval_type"]["program_html"] == 282 and report["needs_judge"] == 118


def test_a_missing_site_url_is_named_per_task(tmp_path, capsys):
    assert main(["validate", "webarena", "--dataset", "original", "--gitlab", SITES["gitlab"], "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    blocked = [v for v in report["per_task"] if not v["scoreable"]]
    assert len(blocked) == 812 - 180  # only the gitlab-only tasks have all their URLs
    assert all("no URL for" in v["reasons"][0] for v in blocked)


def test_verified_tasks_are_counted_as_published():
    counts = verified_counts(read_verified("verified"))
    assert counts["tasks"] == 812
    assert counts["by_action"] == {"retrieve": 325, "mutate": 374, "navigate": 113}
    assert counts["by_evaluator"]["NetworkEventEvaluator"] == 663
    assert counts["by_status"]["SUCCESS"] == 772
    assert verified_counts(read_verified("verified-hard"))["tasks"] == 258


def test_every_verified_task_is_scoreable_by_the_packages_evaluators_with_site_urls(tmp_path):
    pytest.importorskip(
        "webarena_verified.core.evaluation.evaluators", reason="the verified extra is not installed"
    )
    flags = [arg for name, url in SITES.items() for arg in (f"--{name}", url)]
    assert main(["validate", "webarena", "--dataset", "verified", *flags, "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "validate.json").read_text())
    assert report["tasks"] == 812 and report["scoreable"] == 812
    assert main(["validate", "webarena", "--dataset", "verified-hard", "--json"]) == 0


def test_eval_on_verified_tasks_needs_only_the_sites_of_the_chosen_ids(tmp_path, capsys):
    pytest.importorskip(
        "webarena_verified.core.evaluation.evaluators", reason="the verified extra is not installed"
    )
    out = str(tmp_path / "out")
    args = [
        "eval",
        "webarena",
        "--dataset",
        "verified",
        "--task-ids",
        "44",
        "--model",
        "oracle",
        "--out",
        out,
    ]
    assert main([*args, "--gitlab", "http://127.0.0.1:9"]) == 2  # task 44 is GitLab's: its site is checked
    assert "site GITLAB at http://127.0.0.1:9 is unreachable" in capsys.readouterr().err
