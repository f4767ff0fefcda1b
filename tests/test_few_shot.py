"""helpers.experiments.few_shot: prompts, teacher-forced exact match and log-likelihoods, translation scores."""

import math

import pytest
import torch
from torch import nn

from helpers.experiments.abilities import ability_tests, translation_pairs, translation_question
from helpers.experiments.few_shot import (
    FewShotTask,
    few_shot_accuracy,
    few_shot_outcome,
    few_shot_questions,
    pooled_mean,
    translation_scores,
    translation_task,
    word_groups,
)
from helpers.model import GPTConfig
from helpers.tinyworld2 import Lexicon
from helpers.tokenizers import WordTokenizer

TEXT = 'alice : she . bob : he . emma : she . tom : he .\n" the dog . " in tiny is " vapo na . "\n'


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


def test_translation_scores_exact_match_and_per_word():
    tokenizer = SpacedWords.train(TEXT)
    questions = few_shot_questions(translation_task([("the dog .", "vapo na ."), ("a dog .", "na vapo .")]), 0)
    assert questions[0].prompt == '" the dog . " in tiny is "'
    ids = {word: tokenizer.encode(word)[0] for word in ('"', "vapo", "na", ".")}
    model = LookupModel(tokenizer.vocab_size, {ids['"']: ids["vapo"], ids["vapo"]: ids["na"], ids["na"]: ids["."]})
    scores = translation_scores(model, tokenizer, questions[:1])
    assert scores.exact_match == 1.0 and scores.word_accuracy == 1.0 and scores.mean_words == 3.0
    top = math.log(math.exp(5) / (math.exp(5) + tokenizer.vocab_size - 1))  # every word is the top choice
    assert scores.word_log_likelihood == pytest.approx(top, abs=1e-5)
    assert scores.word_log_likelihood_se == pytest.approx(0.0, abs=1e-6)
    model.logits.data[ids["na"], ids["."]] = 0.0  # now "." is no longer predicted after "na"
    worse = translation_scores(model, tokenizer, questions[:1])
    assert worse.exact_match == 0.0 and worse.word_accuracy == pytest.approx(2 / 3)
    both = translation_scores(model, tokenizer, questions)  # "na vapo ." : only "vapo" is not predicted
    assert both.exact == (False, False) and both.word_correct == ((True, True, False), (False, False, False))
    assert both.word_accuracy == pytest.approx(2 / 6) and both.word_accuracy_se > 0


def test_the_translation_task_asks_as_the_abilities_test_does():
    pairs = translation_pairs(5)
    assert all(english.endswith(" .") and tiny.endswith(" .") for english, tiny in pairs)
    zero_shot = ability_tests(5)["translation (0 examples)"].items
    questions = few_shot_questions(translation_task(pairs), 0, seed=0)
    assert [q.prompt for q in questions] == [item.prompt for item in zero_shot]
    assert [" " + q.answer for q in questions] == [item.target for item in zero_shot]
    one = few_shot_questions(translation_task(pairs), 1, seed=0)[0]
    assert one.prompt.startswith('" ') and one.prompt.endswith(translation_question(pairs[0][0]))
    assert one.prompt.endswith('" in tiny is "') and one.prompt.count(" in tiny is ") == 2
    assert one.shown_answers[0] in one.prompt


def test_pooled_mean_weights_every_value_and_takes_its_error_over_groups():
    mean, se = pooled_mean([[1.0, 1.0, 1.0], [0.0]])
    assert mean == 0.75  # over the four values, not the mean of the two group means (0.5)
    assert se > 0 and pooled_mean([[2.0], [2.0, 2.0]]) == (2.0, 0.0)
    values = [0.3, 1.2, -0.5, 2.0]  # groups of one: the usual standard error of a mean (population spread)
    mean, se = pooled_mean([[v] for v in values])
    spread = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    assert mean == pytest.approx(sum(values) / 4) and se == pytest.approx(spread / 2)
