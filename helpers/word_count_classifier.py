"""A word-count text classifier, the pre-LLM way to tag spam (chapter 1; chapter 6's baseline): naive Bayes.

Training counts, for each label, how often every word appears in that label's texts. A new text gets,
for each label, the score

    log P(label) + sum over the text's words of log P(word | label)

and the label with the highest score wins. P(word | label) is the word's share of all words seen under
that label, with `smoothing` (add-alpha, Laplace for alpha = 1) added to every count so a word never
seen with a label does not rule that label out. Words never seen in training at all are skipped: they
carry no evidence. "Naive" because each word counts on its own, whatever its neighbours: "not free"
and "free" push the same way.

It is a narrow tool: it can only choose among the labels it was trained on. It cannot answer a
question, write a reply, or notice a kind of text it never saw (it still has to pick one of its labels).

    tagger = WordCountClassifier.train(texts, labels)
    tagger.predict("urgent ! claim your free prize .")     # "spam"
    tagger.probabilities("see you soon .")                 # {"ham": 0.99..., "spam": 0.00...}

Words are cut with the word tokenizer's pattern and lower-cased, so it also reads real SMS text.
Simplified on purpose: a bag of words (no word order, no pairs of words), no feature selection.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from helpers.tokenizers.words import WORD_PATTERN


def words_of(text: str) -> list[str]:
    """The lower-cased words and punctuation marks of a text: what the classifier counts."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}.")
    return [word for word in WORD_PATTERN.findall(text.lower()) if word != "\n"]


class WordCountClassifier:
    """Multinomial naive Bayes over word counts: one table of word counts per label."""

    def __init__(self, word_counts: dict[str, Counter], label_counts: Counter, smoothing: float = 1.0):
        if not smoothing > 0:
            raise ValueError(f"smoothing must be a positive number (1.0 is the usual Laplace smoothing), "
                             f"got {smoothing!r}.")
        self.labels = tuple(sorted(label_counts))
        self.smoothing = float(smoothing)
        self.word_counts = {label: Counter(word_counts.get(label, Counter())) for label in self.labels}
        self.label_counts = Counter(label_counts)
        self.vocabulary = frozenset(word for counts in self.word_counts.values() for word in counts)
        n_texts = sum(label_counts.values())
        self._log_prior = {label: math.log(label_counts[label] / n_texts) for label in self.labels}
        self._log_denominator = {
            label: math.log(sum(self.word_counts[label].values()) + self.smoothing * len(self.vocabulary))
            for label in self.labels
        }

    @classmethod
    def train(cls, texts: Sequence[str], labels: Sequence[str], *, smoothing: float = 1.0) -> WordCountClassifier:
        """Count the words of each label's texts (texts[i] has labels[i])."""
        if isinstance(texts, str) or isinstance(labels, str):
            raise TypeError("texts and labels must be lists (one label per text), not single strings.")
        if len(texts) != len(labels):
            raise ValueError(f"there are {len(texts)} texts but {len(labels)} labels; give one label per text.")
        if len(set(labels)) < 2:
            raise ValueError(f"training needs texts of at least two labels, got only {sorted(set(labels))}.")
        word_counts: dict[str, Counter] = {}
        for text, label in zip(texts, labels, strict=True):
            word_counts.setdefault(label, Counter()).update(words_of(text))
        return cls(word_counts, Counter(labels), smoothing)

    def log_word_probability(self, word: str, label: str) -> float:
        """log P(word | label): how typical the word is of the label's texts (smoothed)."""
        return math.log(self.word_counts[label][word] + self.smoothing) - self._log_denominator[label]

    def scores(self, text: str) -> dict[str, float]:
        """Each label's log P(label) + sum of log P(word | label) over the text's known words (higher wins)."""
        known = [word for word in words_of(text) if word in self.vocabulary]
        return {label: self._log_prior[label] + sum(self.log_word_probability(word, label) for word in known)
                for label in self.labels}

    def probabilities(self, text: str) -> dict[str, float]:
        """The scores turned into probabilities over the labels (they sum to 1)."""
        scores = self.scores(text)
        top = max(scores.values())
        weights = {label: math.exp(score - top) for label, score in scores.items()}
        total = sum(weights.values())
        return {label: weight / total for label, weight in weights.items()}

    def predict(self, text: str) -> str:
        """The most likely label of one text (ties: the label first in sorted order)."""
        scores = self.scores(text)
        return max(self.labels, key=lambda label: scores[label])

    def accuracy(self, texts: Sequence[str], labels: Sequence[str]) -> float:
        """The share of texts whose predicted label is the given one."""
        if len(texts) != len(labels) or not texts:
            raise ValueError(f"give as many labels as texts (and at least one), got {len(texts)} and {len(labels)}.")
        return sum(self.predict(text) == label for text, label in zip(texts, labels, strict=True)) / len(texts)

    def confusion(self, texts: Sequence[str], labels: Sequence[str]) -> dict[str, Counter]:
        """For each true label, how often each label was predicted: {true: Counter({predicted: count})}.

        The true labels may include labels the classifier never learned (e.g. "harmful" for a spam
        tagger): the row then shows which of its own labels it files such texts under.
        """
        if len(texts) != len(labels):
            raise ValueError(f"give one label per text, got {len(texts)} texts and {len(labels)} labels.")
        table: dict[str, Counter] = {}
        for text, label in zip(texts, labels, strict=True):
            table.setdefault(label, Counter())[self.predict(text)] += 1
        return table

    def telling_words(self, label: str, k: int = 10) -> list[tuple[str, float]]:
        """The k words that most favour `label` over the other labels, with log P(w | label) - max log P(w | other)."""
        if label not in self.labels:
            raise ValueError(f"label must be one of {self.labels}, got {label!r}.")
        others = [other for other in self.labels if other != label]
        margins = {word: self.log_word_probability(word, label)
                   - max(self.log_word_probability(word, other) for other in others)
                   for word in self.word_counts[label]}
        return sorted(margins.items(), key=lambda item: (-item[1], item[0]))[:k]

    def __repr__(self) -> str:
        return f"WordCountClassifier(labels={self.labels}, vocabulary={len(self.vocabulary)} words)"
