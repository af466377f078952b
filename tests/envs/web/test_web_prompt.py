"""The web agent's prompt: PAE's instruction to end every task with an answer a judge can check."""

from envs.web.prompt import SYSTEM_PROMPT, chat_prompt


def test_every_task_ends_with_an_answer_not_an_empty_stop():
    assert "stop []" not in SYSTEM_PROMPT  # an empty answer is failed by the judge without asking
    assert "Always finish with stop [answer]" in SYSTEM_PROMPT
    assert "what you did" in SYSTEM_PROMPT


def test_the_prompt_carries_the_system_text_and_the_cut_tree():
    obs = {
        "intent": "Add the mug to the cart",
        "url": "http://127.0.0.1/",
        "tabs": [],
        "active_tab": 0,
        "axtree": "x" * 50,
        "elements": [],
        "error": "",
        "screenshot": None,
        "som": None,
    }
    messages, images = chat_prompt(obs, [], max_tree_chars=10, history_len=3, view="tree", vision=False)
    assert messages[0] == {"role": "system", "content": SYSTEM_PROMPT}
    text = messages[1]["content"][0]["text"]
    assert text.endswith("x" * 10 + "\n... (tree cut)") and "x" * 11 not in text
    assert images == []
