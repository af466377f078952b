"""Pretraining text: true arithmetic, stated rules, card names, and no GeneralPoints solution of any evaluation hand."""

import ast
import re
from fractions import Fraction

from agent_rl.train.gp_pretrain_data import PretrainTextConfig, build_pretrain_dataset, pretrain_documents
from envs.generalpoints import VARIANTS, card_values, evaluation_hands, formula_value, solve
from envs.generalpoints.prompts import face_rule

FACT = re.compile(r"([0-9()+\-*/ ]+) = (-?[0-9]+(?:/[0-9]+)?)$")


def _documents(n: int = 2000):
    return pretrain_documents(PretrainTextConfig(documents=n, seed=3))


def test_documents_are_seeded_and_mix_every_kind_of_fact():
    documents = _documents(300)
    assert documents == _documents(300) and documents != pretrain_documents(PretrainTextConfig(documents=300))
    text = "\n".join(documents)
    assert "Rule: " in text and "King" in text and " * " in text and " / " in text and "(" in text
    assert any(int(n) > 13 for n in re.findall(r"\d+", text))  # arithmetic beyond the card values


def test_every_arithmetic_fact_is_true():
    checked = 0
    for line in "\n".join(_documents()).splitlines():
        match = FACT.fullmatch(line)
        if match:
            lhs, rhs = match.groups()
            assert formula_value(lhs.replace(" ", "")) == Fraction(rhs), line
            checked += 1
    assert checked > 5000


def test_rule_facts_use_the_stated_value():
    stated = re.compile(r"\(?([AJQK])\)? (?:counts as|is worth) (\d+)\D+?\1 ([-+*]) (\d+) (?:=|is) (-?\d+)")
    checked = 0
    for line in "\n".join(_documents(500)).splitlines():
        found = stated.search(line)
        if found:
            value, op, other, result = int(found[2]), found[3], int(found[4]), int(found[5])
            assert {"+": value + other, "-": value - other, "*": value * other}[op] == result, line
            checked += 1
    assert checked > 500


def test_no_document_holds_a_solution_of_an_evaluation_hand():
    solutions = set()
    for name in VARIANTS:
        for hand in evaluation_hands(name):
            solutions.update(solve(hand.numbers))
    four_number_facts = 0
    for line in "\n".join(_documents()).splitlines():
        match = FACT.fullmatch(line)
        if not match:
            continue
        lhs = match[1].replace(" ", "")
        assert lhs not in solutions, line
        if len(re.findall(r"\d+", lhs)) == 4:
            four_number_facts += 1
            assert formula_value(lhs) != 24, line
    assert four_number_facts > 100


def test_the_dataset_is_saved_with_a_text_column_and_reused(tmp_path):
    config = PretrainTextConfig(documents=20, seed=1)
    dataset = build_pretrain_dataset(config, tmp_path / "pretrain")
    assert dataset.column_names == ["text"] and dataset["text"] == pretrain_documents(config)
    again = build_pretrain_dataset(PretrainTextConfig(documents=5), tmp_path / "pretrain")  # made already
    assert again["text"] == dataset["text"]


def test_game_rule_facts_read_either_rule_and_only_when_asked():
    read = re.compile(r"Rule: (.+), 'A' counts as '1'\. Cards: (\[.*\]) count as (\[.*\])\.")
    documents = pretrain_documents(PretrainTextConfig(documents=300, seed=3, rule_share=0.3))
    facts = [m for line in "\n".join(documents).splitlines() if (m := read.fullmatch(line))]
    assert 0.2 < len(facts) / (300 * 8) < 0.4
    rules = {rule for rule, _, _ in (m.groups() for m in facts)}
    assert rules == {face_rule(True), face_rule(False)}  # both rules, in the game's own words
    for m in facts:
        cards, numbers = ast.literal_eval(m[2]), ast.literal_eval(m[3])
        assert numbers == card_values(cards, m[1] == face_rule(True)), m[0]
    assert "count as [" not in "\n".join(_documents(300))  # off by default: the documents are as before
