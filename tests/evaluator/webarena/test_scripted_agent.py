"""The scripted oracle replays in the agent's own format: a short true thought, then the action."""

from envs.web.actions import parse_action
from envs.web.bundled_tasks.dsl import click, search, stop, type_
from evaluator.webarena.scripted import ScriptedAgent

OBS = {"nodes": [(3, "searchbox", "Search"), (7, "textbox", "Phone"), (9, "button", "Save")]}


def _replies(steps):
    agent = ScriptedAgent(steps)
    return [agent.act(OBS) for _ in steps]


def test_each_reply_is_a_thought_then_an_action_that_parses():
    replies = _replies([search("red kite"), stop("$5.00")])
    assert replies == [
        "Thought: I type 'red kite' into the searchbox 'Search' and press Enter. Action: type [3] [red kite] [1]",
        "Thought: The page shows what the task asks for, so I answer. Action: stop [$5.00]",
    ]
    assert parse_action(replies[0]).text == "red kite" and parse_action(replies[1]).text == "$5.00"


def test_an_action_task_ends_with_an_answer_saying_what_was_done():
    *_, last = _replies([type_("textbox", "Phone", "555-0100"), click("button", "Save"), stop()])
    answer = parse_action(last).text
    assert answer == "Done: I typed '555-0100' into the textbox 'Phone', then clicked the button 'Save'."
    assert last.startswith("Thought: The task is done, so I say what I did.")
