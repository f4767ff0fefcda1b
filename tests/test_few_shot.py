"""helpers.experiments.few_shot: prompts, teacher-forced exact match and log-likelihoods, translation scores."""

import math

import pytest
import torch
from torch import nn

from helpers.experiments.few_shot import (
    FewShotTask,
    few_shot_accuracy,
    few_shot_outcome,
    few_shot_questions,
    translation_pairs,
    translation_scores,
    word_groups,
)
from helpers.model import GPTConfig
from helpers.tinyworld import Lexicon
from helpers.tokenizers import WordTokenizer

TEXT = "alice : she . bob : he . emma : she . tom : he .\nenglish : the dog . tiny : vapo na .\n"


class LookupModel(nn.Module):
    """A model that predicts, at every position, a fixed next token for each current token (a bigram table)."""

    def __init__(self, vocab_size: int, table: dict[int, int]):
        super().__init__()
        self.config = GPTConfig(vocab_size=vocab_size, context_length=64, n_layer=1, n_head=1, n_embd=4)
        self.logits = nn.Parameter(torch.zeros(vocab_size, vocab_size))
        with torch.no_grad():
            for current, following in table.items():
                self.logits[current, following] = 5.0

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.logits[ids]  # (B, T, V)


@pytest.fixture(scope="module")
def tokenizer():
    return WordTokenizer.train(TEXT)


def test_prompt_lists_the_solved_examples_then_the_open_question():
    task = FewShotTask("t", (("alice", "she"), ("bob", "he"), ("emma", "she")))
    assert task.prompt([("alice", "she"), ("bob", "he")], "emma") == "alice : she . bob : he . emma :"
    assert task.prompt([], "emma") == "emma :"
    with pytest.raises(ValueError, match="template"):
        FewShotTask("t", (("a", "b"), ("c", "d")), template="{query} =")


def test_few_shot_questions_never_show_the_question_among_the_examples():
    lexicon = Lexicon()
    task = FewShotTask("name -> pronoun", tuple([(name, "she") for name in lexicon.female_names]
                                                + [(name, "he") for name in lexicon.male_names]))
    questions = few_shot_questions(task, 4, seed=3)
    assert len(questions) == len(task.items) and {q.answer for q in questions} == {"she", "he"}
    for question, (query, answer) in zip(questions, task.items, strict=True):
        examples = question.prompt.split(" . ")[:-1]
        assert len(examples) == 4 and all(not e.startswith(query + " :") for e in examples)
        assert question.prompt.endswith(f"{query} :") and question.answer == answer
        assert [e.split(" : ")[1] for e in examples] == list(question.shown_answers)
    assert few_shot_questions(task, 4, seed=3) == questions  # seeded
    with pytest.raises(ValueError, match="k must"):
        few_shot_questions(task, len(task.items))


def test_outcomes_of_a_model_that_always_says_she_sort_right_copied_and_other(tokenizer):
    colon, she = tokenizer.encode(":")[0], tokenizer.encode("she")[0]
    model = LookupModel(tokenizer.vocab_size, {colon: she})
    task = FewShotTask("t", (("alice", "she"), ("bob", "he"), ("emma", "she"), ("tom", "he")))
    assert few_shot_accuracy(model, tokenizer, task, 2) == 0.5
    outcome = few_shot_outcome(model, tokenizer, task, 3)  # every other item is shown: "she" is always among them
    assert (outcome.k, outcome.right, outcome.copied, outcome.other) == (3, 0.5, 0.5, 0.0)
    outcome = few_shot_outcome(model, tokenizer, task, 0)  # nothing shown, so a wrong "she" is not a copy
    assert (outcome.right, outcome.copied, outcome.other) == (0.5, 0.0, 0.5)


class SpacedWords(WordTokenizer):
    """Words whose pieces start with a space, as byte-level BPE writes a word after a space."""

    def token_strings(self, ids):
        return [" " + piece for piece in super().token_strings(ids)]


def test_word_groups_start_a_word_at_each_leading_space():
    assert word_groups([" vap", "o", " na", " ."]) == [[0, 1], [2], [3]]
    assert word_groups(["vap", "o", " na"]) == [[0, 1], [2]]


def test_translation_scores_use_the_bilingual_format():
    tokenizer = SpacedWords.train(TEXT)
    pairs = [("the dog .", "vapo na .")]
    ids = {word: tokenizer.encode(word)[0] for word in (":", "vapo", "na", ".")}
    model = LookupModel(tokenizer.vocab_size, {ids[":"]: ids["vapo"], ids["vapo"]: ids["na"], ids["na"]: ids["."]})
    scores = translation_scores(model, tokenizer, pairs)
    assert scores.exact_match == 1.0 and scores.word_accuracy == 1.0 and scores.mean_words == 3.0
    top = math.log(math.exp(5) / (math.exp(5) + tokenizer.vocab_size - 1))  # every word is the top choice
    assert scores.word_log_likelihood == pytest.approx(top, abs=1e-5)
    model.logits.data[ids["na"], ids["."]] = 0.0  # now "." is no longer predicted after "na"
    worse = translation_scores(model, tokenizer, pairs)
    assert worse.exact_match == 0.0 and worse.word_accuracy == pytest.approx(2 / 3)


def test_translation_pairs_are_held_out_and_seeded():
    pairs = translation_pairs(5)
    assert pairs == translation_pairs(5) and len(pairs) == 5
    assert all(english.endswith(" .") and tiny.endswith(" .") for english, tiny in pairs)
