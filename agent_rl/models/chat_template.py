"""The chat format of the tiny local models: role tokens, an end-of-turn token that is also EOS, image tokens.

The `{% generation %}` markers let TRL compute assistant-only losses (`return_assistant_tokens_mask`).
"""

from __future__ import annotations

BOS = "<|bos|>"
END = "<|end|>"  # closes every turn; generation stops on it (it is the EOS token)
PAD = "<|pad|>"
UNK = "<|unk|>"
IMAGE = "<image>"
ROLES = ("system", "user", "assistant")
ROLE_TOKENS = tuple(f"<|{role}|>" for role in ROLES)
SPECIAL_TOKENS = (PAD, BOS, END, UNK, IMAGE, *ROLE_TOKENS)

CHAT_TEMPLATE = (
    "{% macro render(content) %}"
    "{% if content is string %}{{ content }}"
    "{% else %}{% for part in content %}"
    "{% if part['type'] == 'text' %}{{ part['text'] }}"
    "{% elif part['type'] == 'image' %}{{ '" + IMAGE + "' }}{% endif %}"
    "{% endfor %}{% endif %}"
    "{% endmacro %}"
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>' }}"
    "{% if message['role'] == 'assistant' %}"
    "{% generation %}{{ render(message['content']) }}{{ '" + END + "' }}{% endgeneration %}"
    "{% else %}{{ render(message['content']) }}{{ '" + END + "' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"
)
