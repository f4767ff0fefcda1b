"""Chapter 6's instructions: TinyWorld 2's instruction documents (a kind the pretraining mixture never writes), as
fine-tuning pairs and as held-out test pairs that share nothing with the pretraining text.

    tuning = instruction_pairs(400, seed=LABELLED_SEED)                   # (instruction, response) pairs
    test = instruction_pairs(100, pretraining_text=text, exclude=tuning)  # held out from both

A pair is held out when its instruction is none of `exclude`, and the text it asks about (the review, the
customer's message, the story: what follows the task's own words) is not a pretraining document (exact match
after normalising whitespace, as helpers.experiments.abilities checks its items). A sentence to translate is
held out more strictly, as abilities.translation_pairs does: neither it nor its translation occurs anywhere in
the pretraining text, since TinyWorld's short sentences recur inside its stories.

Simplified on purpose: the four tasks in the proportions TinyWorld writes them (a quarter each); a task's own
words ("translate to tiny :") are the same in tuning and test, as a chat template is.
"""

from __future__ import annotations

from collections.abc import Sequence

from helpers.experiments.abilities import EVALUATION_SEED, normalised
from helpers.tinyworld2 import DOCUMENT_SEPARATOR, INSTRUCTIONS, TinyWorld

TASK_WORDS = {"translate": "translate to tiny :", "sentiment": "is this review positive or negative ?",
              "question": "answer the question about the story .", "support": "which team should answer this message ?"}


def asked_about(instruction: str) -> str:
    """The text an instruction asks about, without the task's own words: what must not have been pretrained on."""
    for words in TASK_WORDS.values():
        if instruction.startswith(words + " "):
            return instruction[len(words) + 1:]
    raise ValueError(f"not a TinyWorld 2 instruction (it starts with none of {list(TASK_WORDS.values())}): "
                     f"{instruction!r}")


def instruction_pairs(n: int, *, seed: int = EVALUATION_SEED, pretraining_text: str = "",
                      exclude: Sequence[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    """n (instruction, response) pairs from TinyWorld(seed)'s instruction documents, each held out from the
    pretraining text and from `exclude` (see the module's docstring)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive number of instructions, got {n!r}.")
    documents = {normalised(line) for line in pretraining_text.split(DOCUMENT_SEPARATOR) if line}
    taken = {instruction for instruction, _ in exclude}
    world, pairs = TinyWorld(seed, mixture=INSTRUCTIONS), []
    while len(pairs) < n:
        for doc in world.documents(n - len(pairs), "instruction"):
            instruction, response = doc.fields["instruction"], doc.fields["response"]
            about = asked_about(instruction)
            leaked = (about in pretraining_text or response in pretraining_text if doc.label == "translate"
                      else normalised(about) in documents)
            if not leaked and instruction not in taken:
                pairs.append((instruction, response))
                taken.add(instruction)
    return pairs
