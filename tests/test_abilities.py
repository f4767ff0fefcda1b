"""The ability tests: drawn the same way every time, never from a pretraining document, never in a format the
pretraining text uses, and scored by picking the most probable option (or an exact greedy completion)."""

import math

import pytest

from helpers.experiments.abilities import (
    TRANSLATION_FORMAT,
    AbilityResult,
    AbilityTest,
    ChoiceItem,
    CompletionItem,
    Scores,
    ability_tests,
    ngram_scorer,
    normalised,
    translation_pairs,
    words,
)
from helpers.ngram_model import NGramModel
from helpers.tinyworld2 import DOCUMENT_SEPARATOR, RELATIONS, TinyWorld
from helpers.tinyworld2.rules import relation_pairs


@pytest.fixture(scope="module")
def tests():
    return ability_tests(40)


@pytest.fixture(scope="module")
def corpus():
    return TinyWorld(0).corpus_text(20_000)


def test_every_test_has_its_items_and_is_the_same_every_time(tests):
    again = ability_tests(40)
    assert list(tests) == list(again)
    for name, test in tests.items():
        assert len(test.items) == 40, name
        assert test.items == again[name].items, name
        for item in test.items:
            assert item.prompt and not item.prompt.endswith(" ")
            if isinstance(item, ChoiceItem):
                assert 0 <= item.answer < len(item.options)
                assert all(wording.startswith(" ") for option in item.options for wording in option)
            else:
                assert item.target.startswith(" ") and len(item.target) > 1


def test_choice_tests_are_balanced_enough_that_a_constant_answer_scores_near_chance(tests):
    for name, test in tests.items():
        if isinstance(test.items[0], ChoiceItem):
            answers = [item.answer for item in test.items]
            most_common = max(answers.count(a) for a in set(answers))
            assert most_common / len(answers) <= test.chance + 0.25, name


def test_no_item_comes_from_or_is_a_pretraining_document():
    world = TinyWorld(1_000_003)  # the evaluation seed itself: without the filter the first documents would collide
    pretraining = world.corpus_text(5_000)
    documents = {normalised(line) for line in pretraining.split(DOCUMENT_SEPARATOR) if line}
    filtered = ability_tests(40, pretraining_text=pretraining)
    unfiltered = ability_tests(40)
    assert any(item.prompt != other.prompt for name in filtered
               for item, other in zip(filtered[name].items, unfiltered[name].items, strict=True))
    for name, test in filtered.items():
        for item in test.items:
            for text in item.texts():
                assert normalised(text) not in documents, name


def test_the_translation_format_never_appears_in_pretraining_text(corpus):
    fixed = TRANSLATION_FORMAT.split("{english}")[1].split("{tiny}")[0].strip()  # '" in tiny is "'
    assert fixed == '" in tiny is "'
    assert fixed not in corpus and "in tiny is" not in corpus
    assert "in tiny" in corpus  # what the corpus does have: glosses ("... , and in tiny that is ...")


def test_a_translation_question_stops_at_the_opening_quote_of_the_answer(tests):
    for shots in (0, 1):
        for item in tests[f"translation ({shots} examples)"].items:
            assert item.prompt.endswith(' " in tiny is "') and item.prompt.count(" in tiny is ") == shots + 1
            assert item.target.endswith(" .") and '"' not in item.target


def test_translation_pairs_skip_sentences_the_pretraining_text_contains(corpus):
    unfiltered = translation_pairs(60)
    kept = translation_pairs(60, pretraining_text=corpus)
    assert len(kept) == 60 and kept != unfiltered
    assert not any(english in corpus or tiny in corpus for english, tiny in kept)
    assert any(english in corpus for english, _ in unfiltered)  # short sentences recur inside stories
    assert [pair for pair in unfiltered if pair[0] not in corpus and pair[1] not in corpus] == kept[: len(
        [pair for pair in unfiltered if pair[0] not in corpus and pair[1] not in corpus])]


def test_picking_the_most_probable_option_and_exact_completions():
    item = ChoiceItem("p", ((" a", " b"), (" c",)), answer=1)
    test = AbilityTest("toy", (item,), 0.5)

    def prefers(word, chosen):
        return lambda prompts, continuations: Scores([0.0 if c == word else -5.0 for c in continuations],
                                                     [c == chosen for c in continuations])
    assert test.run(prefers(" c", "")).accuracy == 1.0
    assert test.run(prefers(" a", "")).accuracy == 0.0
    two_weak = lambda prompts, continuations: Scores([math.log(0.3) if c in (" a", " b") else math.log(0.4)  # noqa: E731
                                                      for c in continuations], [False] * len(continuations))
    assert test.run(two_weak).accuracy == 0.0  # 0.3 + 0.3 beats 0.4: an option's wordings add up
    impossible = lambda prompts, continuations: Scores([-math.inf if c != " c" else -1.0  # noqa: E731
                                                        for c in continuations], [False] * len(continuations))
    assert test.run(impossible).accuracy == 1.0
    completion = AbilityTest("toy", (CompletionItem("p", " x"), CompletionItem("q", " y")), 0.0)
    assert completion.run(prefers("", " x")).accuracy == 0.5


def test_the_standard_error_is_binomial():
    assert AbilityResult(0.5, 100).se == pytest.approx(0.05)
    assert AbilityResult(0.9, 400).se == pytest.approx(0.015)
    assert str(AbilityResult(0.5, 100)) == "50.0 ± 5.0%"


def test_the_ngram_scorer_reads_words_and_decodes_greedily():
    text = "the cat sat .\nthe cat sat .\nthe dog ran .\n"
    model = NGramModel.train(words(text), 3)
    scores = ngram_scorer(model)(["the cat", "the cat"], [" sat .", " ran ."])
    assert scores.exact == [True, False]
    assert scores.log_probs[0] == pytest.approx(model.log_likelihood(["sat", "."], context=["\n", "the", "cat"]))
    assert scores.log_probs[0] > scores.log_probs[1]


def test_the_word_game_asks_about_a_cue_that_only_the_examples_say_what_to_do_with(tests):
    pairs = relation_pairs(TinyWorld(0).lexicon)
    for shots in (0, 3):
        asked = set()
        for item in tests[f"word game ({shots} examples)"].items:
            cue = item.prompt.split(" ")[-2]
            meanings = {relation for relation in RELATIONS if cue in pairs[relation]}
            assert len(meanings) >= 2, item.prompt  # the cue alone does not say which relation is asked
            asked |= {relation for relation in meanings if pairs[relation][cue] == item.target.strip()}
        assert len(asked) >= 3  # every relation an ambiguous cue can take is asked
