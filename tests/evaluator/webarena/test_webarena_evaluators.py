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
        self.params = []

    def generate(self, prompts, params):
        self.prompts += prompts
        self.params.append(params)
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


@pytest.mark.parametrize(
    ("answer", "score"),
    [("It costs $0.50", 0.0), ("2,000 items", 0.0), ("version 2.5", 0.0), ("I bought 2.", 1.0)],
)
def test_one_character_reference_against_nltk_tokens(answer, score):
    # nltk.word_tokenize keeps 0.50, 2,000 and 2.5 whole (a regex split would find "0" / "2" in them) and
    # splits a sentence-final period off
    ref = "0" if "0.50" in answer else "2"
    assert _string({"must_include": [ref]}, answer) == score


def test_answer_is_cleaned_twice():
    assert _string({"exact_match": "abc"}, "\"'abc'\"") == 1.0  # one pair of quotes per cleaning
    assert _string({"exact_match": "abc"}, '"\'"abc"\'"') == 0.0  # not three


def test_fuzzy_match_without_judge_is_a_clear_error():
    with pytest.raises(UserError, match="needs an LLM judge"):
        _string({"fuzzy_match": ["twelve dollars"]}, "$12")


def test_fuzzy_match_sends_webarenas_prompt_and_asks_even_for_equal_words():
    judge = ScriptedJudge("correct")
    assert _string({"fuzzy_match": ["twelve dollars"]}, "Twelve dollars", judge=judge) == 1.0
    (prompt,) = judge.prompts  # the same words still go to the judge, as in WebArena
    system, user = prompt.messages
    assert system == {"role": "system", "content": "You are a helpful assistant"}
    assert user["content"].startswith("Help a teacher to grade the answer of a student given a question.")
    assert "question: How many red shoes are there?\nreference answer: twelve dollars\n" in user["content"]
    assert (
        "all the string 'N/A' that you see is a special sequence that means 'not achievable'\n"
        in user["content"]
    )
    assert user["content"].endswith(
        "student answer: twelve dollars\nConclude the judgement by correct/incorrect/partially correct."
    )
    assert judge.params[0].max_new_tokens == 768 and judge.params[0].temperature == 0.0


@pytest.mark.parametrize(
    ("reply", "score"),
    [
        ("Correct.", 1.0),
        ("It is partially correct", 0.0),
        ("At first glance incorrect, but on reflection: correct", 0.0),  # a losing word anywhere wins
        ("I cannot tell", 0.0),
    ],
)
def test_fuzzy_match_reads_the_reply_as_webarena_does(reply, score):
    assert _string({"fuzzy_match": ["twelve dollars"]}, "$12", judge=ScriptedJudge(reply)) == score


def test_na_answer_accepted_exactly_else_ua_match_compares_reason():
    assert _string({"fuzzy_match": "N/A"}, "N/A") == 1.0
    note = "the store sells no red shoes"
    same = ScriptedJudge("Same")
    assert _string({"fuzzy_match": "N/A"}, "there are no red shoes", judge=same, string_note=note) == 1.0
    user = same.prompts[0].messages[1]["content"]
    assert user.startswith(f"task: How many red shoes are there?\nactual unachievable reason: {note}\n")
    assert "reported unachievable reason: there are no red shoes\n" in user
    assert user.endswith("respond with 'same'. Otherwise, respond with 'different'.")
    # "different" anywhere scores 0, even beside "same"
    assert (
        _string({"fuzzy_match": "N/A"}, "5", judge=ScriptedJudge("not different: same"), string_note=note)
        == 0.0
    )


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


def test_url_match_strips_the_slash_from_the_whole_url_and_never_unquotes():
    issues = _task(["url_match"], reference_url="http://git/p/issues?state=opened")
    assert url_match(issues, "http://git/p/issues?state=opened/")[0] == 1.0  # the query's slash goes too
    quoted = _task(["url_match"], reference_url="http://wiki/A%20B")
    assert url_match(quoted, "http://wiki/A B")[0] == 0.0
    assert url_match(quoted, "http://wiki/A%20B_(film)")[0] == 1.0  # host+path as a substring
    with pytest.raises(UserError, match="url_note"):
        url_match(_task(["url_match"], reference_url="http://s/x", url_note="EXACT"), "http://s/x")


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
            "/form": "<html><body><input id='title' value='saved'><button id='more'>more</button>"
            "<div id='extra'></div>"
            "<script>more.onclick = () => { extra.textContent = 'Extra text'; }</script></body></html>",
            "/late": "<html><body><p id='n'>loading</p><script>window.addEventListener('load', () => "
            "setTimeout(() => { fetch('/f/news/12').then(() => { n.textContent = 'ready'; }); }, 200));"
            "</script></body></html>",
            "/members": "<html><body><table>"
            + "".join(
                f"<tr><td data-label='Account'><span class='gl-avatar-labeled-sublabel'>@{who}</span></td>"
                f"<td class='col-max-role'><span>{role}</span></td></tr>"
                for who, role in (("byte", "Owner"), ("ada", "Developer"))
            )
            + "</table></body></html>",
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
        # "last": the final page (first here: a later "last" would read the page a target before it opened)
        {
            "url": "last",
            "locator": "document.body.innerText",
            "required_contents": {"must_include": ["comment"]},
        },
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
    ]
    result = evaluate_task(_program(base, targets), None, env.page)
    assert result.score == 1.0, result.details
    wrong = [dict(targets[2], required_contents={"exact_match": "Votes: 6"})]
    assert evaluate_task(_program(base, wrong), None, env.page).score == 0.0
    missing = [dict(targets[2], locator="document.querySelector('.nope').outerText")]
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


def _target(url, locator="", **required):
    return {"url": url, "locator": locator, "required_contents": required}


def _open(env, url):
    env.reset(options={"task": {"task_id": 1, "intent": "x", "start_url": url}})


def _score(env, base, targets):
    return evaluate_task(_program(base, targets), None, env.page).score


def test_program_html_reopens_the_target_even_when_it_is_open(live):
    env, base = live
    _open(env, base + "/form")
    env.page.evaluate("() => { document.querySelector('#title').value = 'unsaved edit'; }")
    target = _target(base + "/form", "document.querySelector('#title').value", exact_match="unsaved edit")
    assert _score(env, base, [target]) == 0.0  # the edit was never saved: a reload shows the saved value
    assert _score(env, base, [dict(target, required_contents={"exact_match": "saved"})]) == 1.0


def test_program_html_runs_prep_actions_before_the_locator(live):
    env, base = live
    _open(env, base + "/form")
    target = _target(
        base + "/form", "document.querySelector('#extra').innerText", must_include=["Extra text"]
    )
    assert _score(env, base, [target]) == 0.0  # the text appears only after a click
    prepared = dict(target, prep_actions=["document.querySelector('#more').click()"])
    assert _score(env, base, [prepared]) == 1.0


def test_program_html_applies_exact_match_or_else_must_include(live):
    env, base = live
    _open(env, base + "/f/news/12")
    target = _target(
        base + "/f/news/12",
        "document.querySelector('.score').outerText",
        exact_match="Votes: 5",
        must_include=["never there"],
    )
    assert _score(env, base, [target]) == 1.0  # must_include is not looked at when exact_match is given


def test_program_html_last_reads_the_page_an_earlier_target_opened(live):
    # WebArena's bug, kept: "last" is whatever page is open, not the episode's final page
    env, base = live
    _open(env, base + "/f/news/12/comment/3")
    first = {"url": base + "/f/news/12", "locator": "", "required_contents": {"must_include": ["Post 12"]}}
    last = {"url": "last", "locator": "", "required_contents": {"must_include": ["Votes: 5"]}}
    assert _score(env, base, [last]) == 0.0
    assert _score(env, base, [first, last]) == 1.0


def test_program_html_waits_for_the_page_to_finish_its_scripts(live):
    env, base = live
    _open(env, base + "/f/news/12")
    target = _target(base + "/late", "document.querySelector('#n').textContent", exact_match="ready")
    assert _score(env, base, [target]) == 1.0


def test_gitlab_member_role_helper_reads_the_open_page(live):
    from evaluator.webarena.helpers import WEBARENA_HELPERS

    env, base = live
    _open(env, base + "/f/news/12")
    target = _target(
        base + "/members", "func:gitlab_get_project_memeber_role(__page__, 'ada')", must_include=["Developer"]
    )
    task = _program(base, [target])
    assert evaluate_task(task, None, env.page, helpers=WEBARENA_HELPERS).score == 1.0
    nobody = _program(base, [dict(target, locator="func:gitlab_get_project_memeber_role(__page__, 'zed')")])
    result = evaluate_task(nobody, None, env.page, helpers=WEBARENA_HELPERS)
    assert result.score == 0.0 and result.details[0]["targets"][0]["selected"] == ""
