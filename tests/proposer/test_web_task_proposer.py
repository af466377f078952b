import json

from agent_rl.backends.base import Generation
from proposer.web_tasks import (
    ProposerSettings,
    SiteContext,
    parse_proposals,
    propose_tasks,
    proposer_prompt,
    save_task_set,
)

REPLY = "\n".join(
    [
        "Sure! Here are the tasks:",
        json.dumps({"intent": "Find the cheapest red mug and report its price", "steps": 4}),
        json.dumps(
            {"intent": "Find the cheapest red mug and report its price.", "steps": 4}
        ),  # near-duplicate
        json.dumps({"intent": "Log in and list my orders from last month"}),  # needs a login
        json.dumps({"intent": "What is on sale today in the garden section?"}),  # depends on time
        json.dumps({"intent": "Find stores near me that sell lamps"}),  # depends on location
        json.dumps({"intent": "short"}),  # fails validation
        "{not json at all",
        json.dumps({"intent": "Open the wiki article on rivers and name the longest river listed"}),
    ]
)


class Replies:
    name = "scripted"

    def __init__(self, text):
        self.text, self.prompts = text, []

    def generate(self, prompts, params):
        self.prompts.extend(prompts)
        return [Generation(text=self.text) for _ in prompts]


def test_parse_proposals_reads_json_lines_and_reports_bad_ones():
    tasks, problems = parse_proposals(REPLY)
    assert len(tasks) == 6
    assert len(problems) == 2


def test_propose_filters_and_writes_webarena_format(tmp_path):
    site = SiteContext(name="shopping", start_url="http://127.0.0.1:1/", description="a small shop")
    backend = Replies(REPLY)
    task_set = propose_tasks(backend, [site], ProposerSettings(n_tasks=10), start_id=100)
    intents = [t["intent"] for t in task_set["tasks"]]
    assert intents == [
        "Find the cheapest red mug and report its price",
        "Open the wiki article on rivers and name the longest river listed",
    ]
    assert task_set["report"]["shopping"] == {
        "parsed": 6,
        "unparsable": 2,
        "kept": 2,
        "duplicate": 1,
        "needs_login": 1,
        "time_or_location": 2,
    }
    first = task_set["tasks"][0]
    assert first["task_id"] == 100 and first["sites"] == ["shopping"] and first["start_url"] == site.start_url
    assert first["provenance"]["proposer"] == "scripted"
    assert "no login" in backend.prompts[0].messages[-1]["content"]
    path = save_task_set(task_set, tmp_path / "tasks.json")
    assert json.loads(path.read_text()) == task_set["tasks"]
    assert json.loads(path.with_suffix(".meta.json").read_text())["settings"]["n_tasks"] == 10


def test_sites_with_login_keep_account_tasks_and_demos_replace_the_description():
    site = SiteContext(
        name="forum",
        start_url="http://127.0.0.1:2/",
        has_login=True,
        demonstrations=["clicked Post, typed hi"],
    )
    backend = Replies(json.dumps({"intent": "Log in and upvote the newest post in the cats forum"}))
    task_set = propose_tasks(backend, [site], ProposerSettings())
    assert len(task_set["tasks"]) == 1
    assert "clicked Post" in backend.prompts[0].messages[-1]["content"]


def test_top_up_keeps_bundled_tasks_whole():
    """Topped-up bundled tasks keep their rule evaluators and start URLs (two tabs too), with fresh ids."""
    from proposer.web_tasks import top_up

    bundled = [
        {
            "sites": ["shopping"],
            "task_id": 7,
            "start_url": "__SHOPPING__/a |AND| __SHOPPING__/b",
            "intent": "Compare the two products",
            "eval": {"eval_types": ["string_match"], "reference_answers": {"must_include": ["12.00"]}},
        },
        {
            "sites": ["shopping"],
            "task_id": 8,
            "start_url": "__SHOPPING__",
            "intent": "Log in",
            "require_login": True,
            "eval": {"eval_types": ["url_match"]},
        },
        {"sites": ["reddit"], "task_id": 9, "start_url": "__REDDIT__", "intent": "Other site", "eval": {}},
        {"sites": ["shopping"], "task_id": 10, "start_url": "__SHOPPING__/c", "intent": "Third", "eval": {}},
    ]
    task_set = {
        "tasks": [{"sites": ["shopping"], "task_id": 0, "intent": "proposed"}],
        "report": {"shopping": {}},
    }

    assert top_up(task_set, "shopping", bundled, quota=2) == 1
    added = task_set["tasks"][1]
    assert added["task_id"] == 1 and added["provenance"]["bundled_task_id"] == 7
    assert added["start_url"] == "__SHOPPING__/a |AND| __SHOPPING__/b"
    assert added["eval"] == bundled[0]["eval"]
    assert added["evaluator"] == "judge"
    assert task_set["report"]["shopping"]["topped_up"] == 1
    assert bundled[0]["task_id"] == 7  # the bundled config itself is not changed


def test_the_prompt_shows_a_one_shot_answer_in_the_format_the_parser_reads():
    site = SiteContext(name="shopping", start_url="http://127.0.0.1:1/", description="a small shop")
    prompt = proposer_prompt(site, ProposerSettings(n_tasks=3))
    example, answer, request = prompt.messages
    assert (example["role"], answer["role"], request["role"]) == ("user", "assistant", "user")
    assert "'bookshop'" in example["content"] and "'shopping'" in request["content"]
    assert "Write 3 diverse" in request["content"] and "a small shop" in request["content"]
    tasks, problems = parse_proposals(answer["content"])
    assert len(tasks) == 2 and not problems


INTENTS = [
    "Find the price of the red mug",
    "Who wrote the newest forum post?",
    "How many reviews does the lamp have?",
    "Name the longest river in the wiki",
    "Which brand makes the blue kettle?",
    "List the categories of the shop",
]


class Numbered(Replies):
    """Answers the i-th prompt of a call with a task naming i, and the last with a repeat of the fourth."""

    def generate(self, prompts, params):
        self.prompts.extend(prompts)
        texts = [json.dumps({"intent": INTENTS[i]}) for i in range(len(prompts))]
        texts[-1] = texts[3]
        return [Generation(text=t) for t in texts]


def test_several_replies_per_site_are_pooled_and_deduplicated():
    sites = [SiteContext(name=n, start_url=f"http://127.0.0.1:{i}/") for i, n in enumerate(("shop", "wiki"))]
    backend = Numbered("")
    task_set = propose_tasks(backend, sites, ProposerSettings(n_tasks=5, replies_per_site=3))
    assert len(backend.prompts) == 6  # one batched call: 3 samples of each site's request
    assert (
        backend.prompts[0] is backend.prompts[2]
        and backend.prompts[3].messages[-1] != backend.prompts[0].messages[-1]
    )
    by_site = {s.name: [t["intent"] for t in task_set["tasks"] if t["sites"] == [s.name]] for s in sites}
    assert by_site["shop"] == INTENTS[:3]
    assert by_site["wiki"] == INTENTS[3:5]  # its 3rd repeats its 1st
    assert task_set["report"]["wiki"]["parsed"] == 3 and task_set["report"]["wiki"]["duplicate"] == 1
