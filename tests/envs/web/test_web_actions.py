"""Both action grammars, and the wrappers models put around them, parse into one Action."""

import pytest

from envs.web.actions import Action, ActionParseError, extract_action_text, parse_action

WEBARENA = [
    ("click [12]", Action("click", element=12)),
    ("hover [3]", Action("hover", element=3)),
    ("type [5] [red shoes] [1]", Action("type", element=5, text="red shoes", enter=True)),
    ("type [5] [red shoes] [0]", Action("type", element=5, text="red shoes", enter=False)),
    ("type [5] [no flag]", Action("type", element=5, text="no flag", enter=True)),
    ("type [5] [a]b] [0]", Action("type", element=5, text="a]b", enter=False)),
    ("press [Ctrl+a]", Action("press", text="Control+a")),
    ("press [Enter]", Action("press", text="Enter")),
    ("scroll [down]", Action("scroll", direction="down")),
    ("scroll [direction=up]", Action("scroll", direction="up")),
    ("new_tab", Action("new_tab")),
    ("tab_focus [1]", Action("tab_focus", tab=1)),
    ("close_tab", Action("close_tab")),
    ("goto [http://127.0.0.1:8080/a?b=1]", Action("goto", text="http://127.0.0.1:8080/a?b=1")),
    ("go_back", Action("go_back")),
    ("go_forward", Action("go_forward")),
    ("stop [42 items]", Action("stop", text="42 items")),
    ("stop []", Action("stop", text="")),
]
PAE = [
    ("Click [7]", Action("click", element=7)),
    ("Type [4]; blue jacket", Action("type", element=4, text="blue jacket", enter=True)),
    ("Type [4]; [blue jacket]", Action("type", element=4, text="blue jacket", enter=True)),
    ("Scroll [WINDOW]; down", Action("scroll", direction="down")),
    ("Scroll [9]; up", Action("scroll", element=9, direction="up")),
    ("Wait", Action("wait")),
    ("GoBack", Action("go_back")),
    ("ANSWER; The price is $12", Action("stop", text="The price is $12")),
    ("Google", Action("goto", text="https://www.google.com/")),
]


@pytest.mark.parametrize(("text", "expected"), WEBARENA + PAE)
def test_each_form_parses(text, expected):
    assert parse_action(text) == expected


def test_thought_action_wrapper():
    reply = "Thought: the search box is [4], so I type there.\nAction: Type [4]; hiking boots"
    assert parse_action(reply) == Action("type", element=4, text="hiking boots", enter=True)


def test_webarena_summary_wrapper():
    reply = "Let's think step by step. The link is [31]. In summary, the next action I will perform is ```click [31]```"
    assert parse_action(reply) == Action("click", element=31)


def test_trailing_noise_after_action_line():
    assert parse_action("Action: click [8]\nI hope this works") == Action("click", element=8)


def test_multiline_answer_is_kept():
    assert parse_action("ANSWER; line one\nline two").text == "line one\nline two"


@pytest.mark.parametrize(
    "garbage", ["", "click", "click [abc]", "jump [3]", "Scroll [3]; sideways", "tab_focus [x]"]
)
def test_garbage_raises_parse_error_naming_the_grammar(garbage):
    with pytest.raises(ActionParseError, match="expected one of"):
        parse_action(garbage)


def test_extract_prefers_last_fence():
    assert extract_action_text("```click [1]``` then ```click [2]```") == "click [2]"


def test_str_round_trips_webarena_form():
    for _, action in WEBARENA:
        assert parse_action(str(action)) == action
