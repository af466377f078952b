"""WebArena evaluator semantics: string_match, url_match, program_html, judges, and the product rule."""

import http.server
import threading

import pytest

from agent_rl.backends.base import Generation
from agent_rl.errors import UserError
from envs.web.browser import BrowserHost
from envs.web.env import WebEnv, WebEnvConfig
from evaluator.webarena import evaluate_task
from evaluator.webarena.evaluators import clean_answer, must_include, url_match


class ScriptedJudge:
    """A judge backend with a fixed reply: the LLM itself cannot run here, the parsing around it can."""

    name = "scripted"

    def __init__(self, reply: str):
        self.reply = reply
        self.prompts = []

    def generate(self, prompts, params):
        self.prompts += prompts
        return [Generation(text=self.reply) for _ in prompts]


class FixedUrl:
    def __init__(self, url):
        self.url = url


def _task(eval_types, **ev):
    return {"task_id": 7, "intent": "How many red shoes are there?", "eval": {"eval_types": eval_types, **ev}}


def _string(refs, answer, judge=None, **ev):
    return evaluate_task(
        _task(["string_match"], reference_answers=refs, **ev), answer, None, judge=judge
    ).score


def test_clean_answer_strips_quotes_and_case():
    assert clean_answer('  "Hello World" ') == "hello world"
    assert clean_answer("'x'") == "x"


def test_exact_match():
    assert _string({"exact_match": "Blue Jacket"}, ' "blue jacket" ') == 1.0
    assert _string({"exact_match": "Blue Jacket"}, "the blue jacket") == 0.0


def test_must_include_all_references_as_substrings():
    assert _string({"must_include": ["alice", "Bob"]}, "Alice and bob both posted") == 1.0
    assert _string({"must_include": ["alice", "bob"]}, "only alice") == 0.0


def test_single_one_character_reference_is_a_token():
    assert _string({"must_include": ["4"]}, "There are 4 of them") == 1.0
    assert _string({"must_include": ["4"]}, "There are 42 of them") == 0.0
    assert must_include("4", "1/4 done", tokenize=False) == 1.0


def test_fuzzy_match_exact_words_need_no_judge():
    assert _string({"fuzzy_match": ["twelve dollars"]}, "Twelve dollars") == 1.0


def test_fuzzy_match_without_judge_is_a_clear_error():
    with pytest.raises(UserError, match="needs an LLM judge"):
        _string({"fuzzy_match": ["twelve dollars"]}, "$12")


@pytest.mark.parametrize(
    ("reply", "score"),
    [("The answer means the same. correct", 1.0), ("incorrect", 0.0), ("It is partially correct", 0.0)],
)
def test_fuzzy_match_scores_only_correct(reply, score):
    judge = ScriptedJudge(reply)
    assert _string({"fuzzy_match": ["twelve dollars"]}, "$12", judge=judge) == score
    prompt = judge.prompts[0].messages[0]["content"]
    assert "twelve dollars" in prompt and "$12" in prompt and "How many red shoes" in prompt


def test_na_answer_accepted_exactly_else_judge_compares_reason():
    assert _string({"fuzzy_match": "N/A"}, "N/A") == 1.0
    note = "the store sells no red shoes"
    same = ScriptedJudge("same")
    assert _string({"fuzzy_match": "N/A"}, "there are no red shoes", judge=same, string_note=note) == 1.0
    assert note in same.prompts[0].messages[0]["content"]
    assert _string({"fuzzy_match": "N/A"}, "5", judge=ScriptedJudge("different"), string_note=note) == 0.0


def test_url_match_host_path_substring_and_query_values():
    task = _task(
        ["url_match"], reference_url="http://shop:7770/search?q=shoes |OR| http://shop:7770/catalog/shoes"
    )
    assert url_match(task, "http://shop:7770/search/?q=shoes&page=2")[0] == 1.0
    assert (
        url_match(task, "http://shop:7770/catalog/shoes/")[0] == 0.0
    )  # q=shoes is required by the references
    assert url_match(task, "http://shop:7770/search?q=boots")[0] == 0.0
    plain = _task(["url_match"], reference_url="http://shop:7770/catalog/shoes/")
    assert url_match(plain, "http://shop:7770/catalog/shoes")[0] == 1.0
    assert url_match(plain, "http://shop:7770/catalog")[0] == 0.0


def test_score_is_the_product_of_evaluators():
    task = _task(
        ["string_match", "url_match"], reference_answers={"exact_match": "3"}, reference_url="http://s/orders"
    )
    assert evaluate_task(task, "3", FixedUrl("http://s/orders")).score == 1.0
    result = evaluate_task(task, "3", FixedUrl("http://s/cart"))
    assert result.score == 0.0 and [d["score"] for d in result.details] == [1.0, 0.0]


def test_string_match_without_references_is_an_error():
    with pytest.raises(UserError, match="reference_answers"):
        _string({"exact_match": None}, "x")


def test_unknown_eval_type_is_an_error():
    with pytest.raises(UserError, match="eval_types"):
        evaluate_task(_task(["pixel_match"]), "x", None)


class Pages(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body = {
            "/f/news/12": "<html><body><h1>Post 12</h1><p class='score'>Votes: 5</p><p>Tom &amp; Jerry</p></body></html>",
            "/f/news/12/comment/3": "<html><body><p>A comment</p></body></html>",
        }.get(self.path, "<html><body>nothing</body></html>")
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def live():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = BrowserHost()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    env = WebEnv(WebEnvConfig(evaluate=False, screenshots=False), host=host)
    yield env, base
    env.close()
    host.close()
    server.shutdown()


def _program(base, targets):
    return _task(["program_html"], program_html=targets)


@pytest.mark.timeout(60)
def test_program_html_locators_on_a_live_page(live):
    env, base = live
    env.reset(options={"task": {"task_id": 1, "intent": "x", "start_url": base + "/f/news/12/comment/3"}})
    targets = [
        # func: URL from the last page, whole-page content (HTML-unescaped), must_include with |OR|
        {
            "url": "func:reddit_get_post_url('__last_url__')",
            "locator": "",
            "required_contents": {"must_include": ["Tom & Jerry", "Post 99 |OR| Post 12"]},
        },
        # document.… locator run in the page, exact_match
        {
            "url": base + "/f/news/12",
            "locator": "document.querySelector('.score').outerText",
            "required_contents": {"exact_match": "Votes: 5"},
        },
        # "last": back on the final page
        {
            "url": "last",
            "locator": "document.body.innerText",
            "required_contents": {"must_include": ["comment"]},
        },
    ]
    result = evaluate_task(_program(base, targets), None, env.page)
    assert result.score == 1.0, result.details
    wrong = [dict(targets[1], required_contents={"exact_match": "Votes: 6"})]
    assert evaluate_task(_program(base, wrong), None, env.page).score == 0.0
    missing = [dict(targets[1], locator="document.querySelector('.nope').outerText")]
    assert evaluate_task(_program(base, missing), None, env.page).score == 0.0  # nothing selected, no crash


def test_program_html_helper_calls_are_parsed_not_evaluated(live):
    env, base = live
    env.reset(options={"task": {"task_id": 1, "intent": "x", "start_url": base + "/f/news/12"}})
    target = {
        "url": "last",
        "locator": "func:__import__('os').system('true')",
        "required_contents": {"must_include": ["x"]},
    }
    with pytest.raises(UserError):
        evaluate_task(_program(base, [target]), None, env.page)
