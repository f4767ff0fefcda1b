"""Few-shot prompting, and translation scored two ways: tasks a model never trained on as tasks (chapter 7).

Few-shot prompting (Brown et al., 2020) writes k solved examples of a task into the prompt, then the
question, and reads the model's answer: no weight changes. Chapter 7 asks TinyWorld 2's size ladder two
such tasks from `helpers.experiments.abilities`, with 0 to 3 examples: the word game (which relation the
examples show) and translation in a format no pretraining document uses ('" the dog sees a cat . " in tiny is "').

Scoring (`helpers.scoring.continuation_scores`) reads the model once per prompt (teacher forcing): greedy
decoding writes the answer exactly when, at every token of the answer, the answer's token is the model's
most probable one given the prompt and the answer so far. So one forward pass gives both the exact-match
verdict of greedy decoding and the log-probability of every answer token, the two metrics of Schaeffer et
al. (2023).

What is here:

FewShotTask            items (query, answer), a template for one solved example, and how to build a prompt
few_shot_questions     every item asked once, after k other items as solved examples (seeded choice)
few_shot_outcome       shares answered right, wrong by copying an example's answer, or wrong otherwise
few_shot_accuracy      the share answered right
translation_task       held-out sentence pairs (abilities.translation_pairs) as a few-shot task in the abilities
                       test's format
translation_scores     exact match of whole translations, and log-likelihood and accuracy per word
pooled_mean            a mean over words (or positions) with its standard error over sentences (or sequences)

Simplified on purpose: answers are compared token for token (no normalisation); prompts that do not fit
the context keep their last tokens.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from torch import nn

from helpers.experiments.abilities import TRANSLATION_FORMAT, AbilityResult
from helpers.scoring import continuation_scores


@dataclass(frozen=True)
class FewShotTask:
    """A task given only by examples: (query, answer) items and the template one solved example follows."""

    name: str
    items: tuple[tuple[str, str], ...]
    template: str = "{query} : {answer} ."  # one solved example; the question is the part before {answer}
    separator: str = " "  # between solved examples (and before the question)

    def __post_init__(self):
        if "{query}" not in self.template or "{answer}" not in self.template:
            raise ValueError(f"template must contain {{query}} and {{answer}}; got {self.template!r}.")
        if len(self.items) < 2:
            raise ValueError("a task needs at least two items, so that examples and a question can differ.")

    def prompt(self, shots: Sequence[tuple[str, str]], query: str) -> str:
        """The solved examples, then the question left open: "alice : she . bob : he . emma :"."""
        question = self.template.split("{answer}")[0].format(query=query).rstrip()
        solved = [self.template.format(query=q, answer=a) for q, a in shots]
        return self.separator.join([*solved, question])


@dataclass(frozen=True)
class FewShotQuestion:
    """One question of a task: the prompt (solved examples, then the query), the answer, the examples' answers."""

    prompt: str
    answer: str
    shown_answers: tuple[str, ...]


def few_shot_questions(task: FewShotTask, k: int, *, seed: int = 0) -> list[FewShotQuestion]:
    """Every item asked once, after k other items drawn at random (seeded) as solved examples."""
    if not isinstance(k, int) or not 0 <= k < len(task.items):
        raise ValueError(f"k must be an int from 0 to {len(task.items) - 1} (the other items); got {k!r}.")
    questions = []
    for index, (query, answer) in enumerate(task.items):
        others = [item for j, item in enumerate(task.items) if j != index]
        shots = random.Random(seed * 100_003 + index).sample(others, k)
        questions.append(FewShotQuestion(task.prompt(shots, query), answer, tuple(a for _, a in shots)))
    return questions


@dataclass(frozen=True)
class FewShotOutcome:
    """Shares of a task's questions answered right, answered by copying an example's answer, or otherwise."""

    k: int
    right: float  # greedy decoding writes the answer exactly
    copied: float  # wrong, and the first token chosen is the first token of an answer shown as an example
    other: float


def few_shot_outcome(model: nn.Module, tokenizer, task: FewShotTask, k: int, *, seed: int = 0) -> FewShotOutcome:
    """Ask every item of the task with k solved examples before it, and sort the model's answers."""
    questions = few_shot_questions(task, k, seed=seed)
    scores = continuation_scores(model, tokenizer, [q.prompt for q in questions], [" " + q.answer for q in questions])
    right = scores.exact.tolist()
    copied = []
    for question, choices, is_right in zip(questions, scores.per_continuation(scores.token_choices), right,
                                           strict=True):
        shown_first_tokens = {tokenizer.encode(" " + answer)[0] for answer in question.shown_answers}
        copied.append(not is_right and int(choices[0]) in shown_first_tokens)
    n = len(questions)
    return FewShotOutcome(k, sum(right) / n, sum(copied) / n, (n - sum(right) - sum(copied)) / n)


def few_shot_accuracy(model: nn.Module, tokenizer, task: FewShotTask, k: int, *, seed: int = 0) -> float:
    """Share of the task's items the model answers exactly (greedy) with k solved examples before the question."""
    return few_shot_outcome(model, tokenizer, task, k, seed=seed).right


def translation_task(pairs: Sequence[tuple[str, str]]) -> FewShotTask:
    """English -> Tiny in the abilities test's format, which no pretraining document uses:
    '" the dog sees a cat . " in tiny is " vapo na miru ko vidas . " . " a bird finds the dog . " in tiny is "'."""
    template = TRANSLATION_FORMAT.format(english="{query}", tiny="{answer}")
    return FewShotTask("English -> Tiny", tuple(pairs), template=template, separator=" . ")


@dataclass(frozen=True)
class TranslationScores:
    """One model's translations of the same questions, measured three ways, per word and per sentence.

    Words, not tokens, so that models with different tokenizers compare: a word is right when greedy
    decoding writes all its tokens (given the reference before it), and its log-likelihood is the sum of
    its tokens'. Standard errors are over sentences, the independent draws.
    """

    exact: tuple[bool, ...]  # per sentence: greedy decoding writes the whole reference translation
    word_log_probs: tuple[tuple[float, ...], ...]  # per sentence, per word of the reference: log-probability (nats)
    word_correct: tuple[tuple[bool, ...], ...]  # per sentence, per word: greedy decoding writes it (teacher-forced)

    @property
    def exact_match(self) -> float:
        """Share of sentences greedy decoding translates exactly (all or nothing)."""
        return sum(self.exact) / len(self.exact)

    @property
    def exact_match_se(self) -> float:
        return AbilityResult(self.exact_match, len(self.exact)).se

    @property
    def word_log_likelihood(self) -> float:
        """Mean log-probability per word of the reference translations (nats; 0 is certain)."""
        return pooled_mean(self.word_log_probs)[0]

    @property
    def word_log_likelihood_se(self) -> float:
        return pooled_mean(self.word_log_probs)[1]

    @property
    def word_accuracy(self) -> float:
        """Share of reference words the model gets right (teacher-forced)."""
        return pooled_mean(self.word_correct)[0]

    @property
    def word_accuracy_se(self) -> float:
        return pooled_mean(self.word_correct)[1]

    @property
    def mean_words(self) -> float:
        """Average length of a reference translation, in words."""
        return sum(map(len, self.word_correct)) / len(self.word_correct)


def pooled_mean(groups: Sequence[Sequence[float]]) -> tuple[float, float]:
    """The mean of all values (the words of sentences, the positions of sequences) and its standard error over the
    groups, which are the independent draws (the ratio of two sums per group, linearised)."""
    totals, counts = [float(sum(values)) for values in groups], [len(values) for values in groups]
    mean = sum(totals) / sum(counts)
    residuals = [total - mean * count for total, count in zip(totals, counts, strict=True)]
    return mean, statistics.pstdev(residuals) / math.sqrt(len(totals)) / statistics.fmean(counts)


def word_groups(pieces: Sequence[str]) -> list[list[int]]:
    """Indices of the tokens of each word, a word starting at every token that starts with a space."""
    groups: list[list[int]] = []
    for index, piece in enumerate(pieces):
        if piece.startswith(" ") or not groups:
            groups.append([])
        groups[-1].append(index)
    return groups


def translation_scores(model: nn.Module, tokenizer, questions: Sequence[FewShotQuestion]) -> TranslationScores:
    """Score each question's answer (a translation) after its prompt: exact match, and per word."""
    scores = continuation_scores(model, tokenizer, [q.prompt for q in questions], [" " + q.answer for q in questions])
    word_log_probs, word_correct = [], []
    per_sentence = (scores.per_continuation(values) for values in (scores.token_ids, scores.token_log_probs,
                                                                    scores.token_correct))
    for ids, log_probs, correct in zip(*per_sentence, strict=True):
        groups = word_groups(tokenizer.token_strings(ids.tolist()))
        word_log_probs.append(tuple(float(log_probs[group].sum()) for group in groups))
        word_correct.append(tuple(bool(correct[group].all()) for group in groups))
    return TranslationScores(tuple(scores.exact.tolist()), tuple(word_log_probs), tuple(word_correct))
