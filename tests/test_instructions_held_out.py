"""Chapter 6's held-out instructions share nothing with the pretraining text nor with the fine-tuning pairs."""

import pytest

from helpers.experiments.abilities import INSTRUCTION_TASKS, asked_about, instruction_pairs
from helpers.tinyworld2 import INSTRUCTIONS, TinyWorld

PRETRAINING = TinyWorld(0).corpus_text(3000)


def test_every_task_is_asked_and_its_text_found():
    pairs = instruction_pairs(40, seed=5)
    assert len(pairs) == 40 and len({instruction for instruction, _ in pairs}) == 40
    assert {next(task for task, words in INSTRUCTION_TASKS.items() if instruction.startswith(words))
            for instruction, _ in pairs} == set(INSTRUCTION_TASKS)
    assert asked_about("translate to tiny : the cat runs .") == "the cat runs ."


def test_held_out_pairs_share_nothing_with_pretraining_or_tuning():
    documents = {" ".join(line.split()) for line in PRETRAINING.splitlines()}
    tuning = instruction_pairs(200, seed=6)
    test = instruction_pairs(100, seed=6, pretraining_text=PRETRAINING, exclude=tuning)
    assert not {instruction for instruction, _ in test} & {instruction for instruction, _ in tuning}
    for instruction, response in test:
        about = asked_about(instruction)
        assert about not in documents and instruction not in PRETRAINING
        if instruction.startswith(INSTRUCTION_TASKS["translate"]):
            assert about not in PRETRAINING and response not in PRETRAINING


def test_a_leaked_text_is_skipped():
    first = TinyWorld(7, mixture=INSTRUCTIONS).documents(1, "instruction")[0].fields["instruction"]
    assert instruction_pairs(1, seed=7)[0][0] == first  # without the checks it is the first
    text = asked_about(first) + "\n"  # a pretraining document (and text) of its own
    assert instruction_pairs(1, seed=7, pretraining_text=text)[0][0] != first
    assert instruction_pairs(1, seed=7, exclude=[(first, "")])[0][0] != first


def test_bad_input_gets_a_clear_message():
    with pytest.raises(ValueError, match="positive number"):
        instruction_pairs(0)
    with pytest.raises(ValueError, match="not a TinyWorld 2 instruction"):
        asked_about("say hello .")
