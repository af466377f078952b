"""The web agent's prompt: PAE's instruction to end every task with an answer, one grammar, the page views."""

from envs.web.actions import parse_action
from envs.web.config import PromptSettings
from envs.web.prompt import SYSTEM_PROMPT, approx_tokens, chat_prompt, compact_view, system_prompt


def _obs(**extra):
    obs = {
        "intent": "Add the mug to the cart",
        "url": "http://127.0.0.1/",
        "tabs": [],
        "active_tab": 0,
        "axtree": "x" * 50,
        "elements": [],
        "nodes": [],
        "error": "",
        "screenshot": None,
        "som": None,
    }
    return obs | extra


def test_every_task_ends_with_an_answer_not_an_empty_stop():
    assert "stop []" not in SYSTEM_PROMPT  # an empty answer is failed by the judge without asking
    assert "Always finish with stop [answer]" in SYSTEM_PROMPT
    assert "what you did" in SYSTEM_PROMPT
    assert "Always finish with ANSWER; answer" in system_prompt("pae")


def test_the_prompt_teaches_one_grammar():
    webarena, pae = system_prompt("webarena"), system_prompt("pae")
    assert "click [id]" in webarena and "ANSWER;" not in webarena and "Click [N]" not in webarena
    assert "Click [N]" in pae and "stop [answer]" not in pae and "go_back" not in pae
    assert parse_action("Thought: found it. Action: stop [$12.00]").text == "$12.00"


def test_the_prompt_carries_the_system_text_and_the_cut_tree():
    config = PromptSettings(max_tree_chars=10)
    messages, images = chat_prompt(_obs(), [], config)
    assert messages[0] == {"role": "system", "content": SYSTEM_PROMPT}
    text = messages[1]["content"][0]["text"]
    assert text.endswith("x" * 10 + "\n... (tree cut)") and "x" * 11 not in text
    assert images == []


def test_the_compact_view_keeps_named_nodes_once_and_fits_its_budget():
    nodes = [
        (1, "RootWebArea", "Shop"),
        (2, "banner", ""),
        (3, "StaticText", "Search"),
        (4, "searchbox", "Search"),
        (5, "ListMarker", "•"),
        (6, "cell", "Red Kite"),
        (7, "link", "Red Kite"),
        (8, "cell", "$5.00"),
    ]
    view = compact_view(nodes, max_tokens=100)
    assert view.splitlines() == ["[4] searchbox 'Search'", "[7] link 'Red Kite'", "[8] cell '$5.00'"]
    many = [(i, "link", f"Product number {i}") for i in range(1, 200)]
    cut = compact_view(many, max_tokens=60)
    assert cut.endswith("... (page cut)") and approx_tokens(cut) <= 60 + approx_tokens("... (page cut)")
    config = PromptSettings(prompt_view="compact", max_obs_tokens=100, grammar="pae")
    messages, _ = chat_prompt(_obs(nodes=nodes), [], config)
    assert messages[0]["content"] == system_prompt("pae")
    assert messages[1]["content"][0]["text"].endswith("Page:\n" + view)
