"""Count-based n-gram models (chapter 1; chapter 3 reuses them): predict the next token by counting.

An n-gram model reads only the last n - 1 tokens. To predict what follows "the cat sat on the", a
trigram model (n = 3) looks up every place where "on the" appeared in the training text and counts
which token came next: "mat" 442 times, "rug" 172 times, ... Dividing by the total gives a probability
distribution over the next token. That is the whole model: a table of counts.

    model = NGramModel.train("the cat sat on the mat .".split(" "), n=3)
    model.next_token_distribution(["sat", "on", "the"])   # {"mat": 0.9..., ...}, most likely first
    model.generate(["the", "cat"], 10, seed=0)           # sampled tokens
    model.cross_entropy(tokens, characters=len(text))    # nats per character, comparable with any model

Tokens are any hashable values: words, characters (a str is read as its characters) or token ids.

Smoothing. Counts alone give probability zero to every continuation the training text never showed,
and one unseen word makes a whole text "impossible" (infinite cross-entropy). The default,
`smoothing="witten-bell"`, mixes each context's counts with the next shorter context's prediction:

    P(w | h) = (c(h, w) + u(h) * P(w | h')) / (c(h) + u(h))

where c(h, w) counts w after h, c(h) counts h, u(h) is the number of distinct tokens seen after h,
and h' is h without its first token. The empty context mixes with the uniform distribution over the
vocabulary, so every vocabulary token keeps a probability above zero. A context seen often, followed
by few distinct tokens, trusts its counts; a rare one leans on the shorter context. `smoothing="none"`
keeps the raw relative frequencies c(h, w) / c(h) of the longest available context.

Simplified on purpose: Python dictionaries (fine up to a few million tokens), no pruning of rare
n-grams, Witten-Bell rather than the better but longer Kneser-Ney smoothing.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from random import Random

Token = Hashable
SMOOTHINGS = ("witten-bell", "none")


class NGramModel:
    """A table of counts: which token followed each context of up to n - 1 tokens in the training text."""

    def __init__(self, n: int, counts: dict[tuple, Counter], vocabulary: Sequence[Token],
                 smoothing: str = "witten-bell"):
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a whole number >= 1 (1: unigram, 2: bigram, 3: trigram), got {n!r}.")
        if smoothing not in SMOOTHINGS:
            raise ValueError(f"smoothing must be one of {SMOOTHINGS}, got {smoothing!r}.")
        self.n = n
        self.smoothing = smoothing
        self.vocabulary = tuple(vocabulary)
        self._counts = counts  # context tuple (length 0 to n - 1) -> Counter of the tokens that followed it
        self._totals = {context: sum(following.values()) for context, following in counts.items()}
        self._index = {token: i for i, token in enumerate(self.vocabulary)}
        self._characters = all(isinstance(token, str) and len(token) == 1 for token in self.vocabulary)

    @classmethod
    def train(cls, tokens: Sequence[Token] | str, n: int, *, vocabulary: Iterable[Token] | None = None,
              smoothing: str = "witten-bell") -> NGramModel:
        """Count every n-gram (and every shorter one) of a token sequence; `vocabulary` adds unseen tokens."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a whole number >= 1 (1: unigram, 2: bigram, 3: trigram), got {n!r}.")
        if not isinstance(tokens, Sequence):
            raise TypeError(f"tokens must be a sequence (a list of words or ids, or a str of characters), "
                            f"got {type(tokens).__name__}.")
        tokens = list(tokens)
        if not tokens:
            raise ValueError("tokens is empty: give the training text as a non-empty list of tokens.")
        counts: dict[tuple, Counter] = {}
        for context_length in range(n):
            shifted = [tokens[i:] for i in range(context_length + 1)]
            for gram, count in Counter(zip(*shifted, strict=False)).items():  # every (context_length + 1)-gram
                counts.setdefault(gram[:-1], Counter())[gram[-1]] = count
        seen = dict.fromkeys(tokens)  # first appearance order, without repeats
        if vocabulary is not None:
            seen.update(dict.fromkeys(vocabulary))
        return cls(n, counts, _sorted_if_possible(seen), smoothing)

    # ----- reading the table
    def counts(self, context: Sequence[Token] | str) -> Counter:
        """How often each token followed the last n - 1 tokens of the context (a copy; empty if never seen)."""
        return Counter(self._counts.get(self._history(context), Counter()))

    def next_token_distribution(self, context: Sequence[Token] | str) -> dict[Token, float]:
        """The probability of every next token after the context, most likely first (they sum to 1)."""
        history = self._history(context)
        if self.smoothing == "none":
            following = self._counts.get(history)
            if following is None:
                raise ValueError(f"the context {list(history)} never appeared in training, so an unsmoothed model "
                                 f"has no prediction; train with smoothing='witten-bell'.")
            total = self._totals[history]
            distribution = {token: following.get(token, 0) / total for token in self.vocabulary}
        else:
            p = [1.0 / len(self.vocabulary)] * len(self.vocabulary)  # the uniform distribution, in vocabulary order
            for start in range(len(history), -1, -1):  # the empty context first, then longer ones
                following = self._counts.get(history[start:])
                if following is None:
                    break  # a longer context that contains an unseen one is unseen too
                total, distinct = self._totals[history[start:]], len(following)
                keep = distinct / (total + distinct)  # the weight left for the shorter context's prediction
                p = [value * keep for value in p]
                for token, count in following.items():
                    p[self._index[token]] += count / (total + distinct)
            distribution = dict(zip(self.vocabulary, p, strict=True))
        return dict(sorted(distribution.items(), key=lambda item: -item[1]))  # stable: ties keep vocabulary order

    def probability(self, context: Sequence[Token] | str, token: Token) -> float:
        """The probability the model gives `token` right after the context (0 for a token outside the vocabulary)."""
        return self._probability(self._history(context), token)

    def _probability(self, history: tuple, token: Token) -> float:
        if token not in self._index:
            return 0.0
        if self.smoothing == "none":
            following = self._counts.get(history)
            return following.get(token, 0) / self._totals[history] if following else 0.0
        p = 1.0 / len(self.vocabulary)
        for start in range(len(history), -1, -1):
            following = self._counts.get(history[start:])
            if following is None:
                break
            total, distinct = self._totals[history[start:]], len(following)
            p = (following.get(token, 0) + distinct * p) / (total + distinct)
        return p

    # ----- writing
    def sample(self, context: Sequence[Token] | str, *, seed: int | Random | None = None) -> Token:
        """Draw one next token from the distribution after the context (a seed gives the same draw)."""
        rng = seed if isinstance(seed, Random) else Random(seed)
        distribution = self.next_token_distribution(context)
        return rng.choices(list(distribution), weights=list(distribution.values()))[0]

    def generate(self, context: Sequence[Token] | str, max_tokens: int, *, seed: int = 0,
                 stop: Iterable[Token] = ()) -> list[Token]:
        """Sample up to max_tokens tokens one at a time, each after the context plus the ones drawn before it.

        Generation ends early after a token of `stop` (which is included, e.g. "\\n" to end a document).
        """
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 0:
            raise ValueError(f"max_tokens must be a whole number >= 0, got {max_tokens!r}.")
        rng, stop, text = Random(seed), set(stop), list(self._tokens_of(context, "context"))
        new: list[Token] = []
        for _ in range(max_tokens):
            token = self.sample(text, seed=rng)
            new.append(token)
            text.append(token)
            if token in stop:
                break
        return new

    # ----- scoring
    def log_likelihood(self, tokens: Sequence[Token] | str, *, context: Sequence[Token] | str = ()) -> float:
        """Natural log of the probability of the tokens, each predicted from what came before it.

        `context` is read before the tokens but not scored (e.g. ["\\n"]: the text starts a new document).
        -inf when the model gives some token probability zero.
        """
        full = list(self._tokens_of(context, "context")) + list(self._tokens_of(tokens, "tokens"))
        total, width = 0.0, self.n - 1
        for position in range(len(full) - len(tokens), len(full)):
            p = self._probability(tuple(full[max(0, position - width):position]), full[position])
            if p == 0.0:
                return -math.inf
            total += math.log(p)
        return total

    def cross_entropy(self, tokens: Sequence[Token] | str, *, context: Sequence[Token] | str = (),
                      characters: int | None = None) -> float:
        """Average surprise in nats: per token, or per character when `characters` (the text's length) is given.

        Per character is the unit to compare models with different tokens, and with TinyWorld's entropy floor.
        """
        if len(tokens) == 0:
            raise ValueError("tokens is empty: there is nothing to score.")
        if characters is not None and (isinstance(characters, bool) or not isinstance(characters, int)
                                       or characters < 1):
            raise ValueError(f"characters must be the text's length (a whole number >= 1), got {characters!r}.")
        return -self.log_likelihood(tokens, context=context) / (characters or len(tokens))

    # ----- helpers
    def _tokens_of(self, tokens: Sequence[Token] | str, name: str) -> Sequence[Token]:
        if isinstance(tokens, str) and tokens and not self._characters:
            raise TypeError(f"{name} is a str, but this model's tokens are not characters; pass a list of tokens, "
                            f"e.g. {tokens[:30]!r}.split(' ').")
        if not isinstance(tokens, Sequence):
            raise TypeError(f"{name} must be a sequence of tokens (a list), got {type(tokens).__name__}.")
        return tokens

    def _history(self, context: Sequence[Token] | str) -> tuple:
        """The part of the context the model reads: its last n - 1 tokens."""
        context = self._tokens_of(context, "context")
        return tuple(context[max(0, len(context) - (self.n - 1)):]) if self.n > 1 else ()

    def __repr__(self) -> str:
        return (f"NGramModel(n={self.n}, vocabulary={len(self.vocabulary)} tokens, "
                f"contexts={len(self._counts)}, smoothing={self.smoothing!r})")


def _sorted_if_possible(tokens: Iterable[Token]) -> list[Token]:
    """The tokens sorted (words alphabetically, ids by number), or in first-seen order if they do not compare."""
    tokens = list(tokens)
    try:
        return sorted(tokens)
    except TypeError:
        return tokens
