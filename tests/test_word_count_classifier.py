"""The naive-Bayes word-count classifier: its scores, what it learns on TinyWorld messages, and its limits."""

import math
import random
from collections import Counter

import pytest

from helpers.tinyworld2 import TinyWorld
from helpers.word_count_classifier import WordCountClassifier, words_of

TEXTS = ["win a free prize now", "free prize call now", "see you at lunch", "lunch at noon ?"]
LABELS = ["spam", "spam", "ham", "ham"]


def test_words_are_lowercased_words_and_punctuation():
    assert words_of("Hi Tom, WIN a prize!\n") == ["hi", "tom", ",", "win", "a", "prize", "!"]
    with pytest.raises(TypeError, match="str"):
        words_of(b"bytes")


def test_scores_are_log_prior_plus_smoothed_log_word_probabilities():
    tagger = WordCountClassifier.train(TEXTS, LABELS)
    vocabulary = set(w for text in TEXTS for w in words_of(text))
    spam_words = Counter(w for text in TEXTS[:2] for w in words_of(text))
    expected = math.log(2 / 4) + sum(
        math.log((spam_words[w] + 1) / (sum(spam_words.values()) + len(vocabulary))) for w in ["free", "lunch"])
    assert tagger.scores("free lunch")["spam"] == pytest.approx(expected)
    assert tagger.scores("zebra")["spam"] == pytest.approx(math.log(2 / 4))  # unknown words carry no evidence


def test_predictions_and_probabilities():
    tagger = WordCountClassifier.train(TEXTS, LABELS)
    assert tagger.predict("claim your free prize") == "spam"
    assert tagger.predict("lunch tomorrow ?") == "ham"
    probabilities = tagger.probabilities("free lunch")
    assert sum(probabilities.values()) == pytest.approx(1.0)
    assert max(probabilities, key=probabilities.get) == tagger.predict("free lunch")
    assert tagger.accuracy(TEXTS, LABELS) == 1.0


def test_word_order_does_not_matter():
    tagger = WordCountClassifier.train(TEXTS, LABELS)
    words = "see you at the free prize lunch now".split()
    shuffled = words[:]
    random.Random(0).shuffle(shuffled)
    assert tagger.scores(" ".join(words)) == pytest.approx(tagger.scores(" ".join(shuffled)))


def test_tinyworld_spam_is_easy_but_harmful_messages_pass_as_ham():
    train = [d for d in TinyWorld(0).documents(400, "message") if d.label != "harmful"]
    tagger = WordCountClassifier.train([d.text for d in train], [d.label for d in train])
    test = TinyWorld(1).documents(400, "message")
    plain = [d for d in test if d.label != "harmful"]
    assert tagger.accuracy([d.text for d in plain], [d.label for d in plain]) > 0.95
    table = tagger.confusion([d.text for d in test], [d.label for d in test])
    assert set(table["harmful"]) <= {"ham", "spam"}  # it can only answer with its own labels
    assert table["harmful"]["ham"] > table["harmful"]["spam"]
    assert sum(sum(row.values()) for row in table.values()) == len(test)
    assert {"claim", "free"} & {w for w, _ in tagger.telling_words("spam", 10)}


def test_bad_input_gets_a_clear_message():
    with pytest.raises(ValueError, match="one label per text"):
        WordCountClassifier.train(TEXTS, LABELS[:3])
    with pytest.raises(ValueError, match="two labels"):
        WordCountClassifier.train(TEXTS, ["spam"] * 4)
    with pytest.raises(TypeError, match="lists"):
        WordCountClassifier.train("free prize", "spam")
    with pytest.raises(ValueError, match="smoothing"):
        WordCountClassifier.train(TEXTS, LABELS, smoothing=0)
    tagger = WordCountClassifier.train(TEXTS, LABELS)
    with pytest.raises(ValueError, match="label must be"):
        tagger.telling_words("harmful")
    with pytest.raises(ValueError, match="as many labels"):
        tagger.accuracy(TEXTS, LABELS[:1])
