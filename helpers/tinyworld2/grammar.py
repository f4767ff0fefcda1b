"""The grammar machinery of TinyWorld: a grammar written as data, read by three interpreters.

A grammar is a tree of six kinds of node:

Words     fixed words, e.g. Words("sat on the")
Seq       its parts one after the other
Choice    one of several weighted alternatives (the only place where randomness enters)
Bind      remembers where the words of its part start and end (for fields such as the pronoun's offset)
Mark      records a value (the document kind, a label) and emits nothing
Computed  words that follow deterministically from earlier parts (a translation, a sum, an answer)

Each kind of node implements three interpreters of the same tree, so no rule is written twice:
`sample` (fast, one derivation, returns its log-probability), `match` (all derivations of a given
text, with their log-probabilities: the parser behind `log_prob` and `is_valid`) and `enumerate`
(every derivation of the grammar, for tests on a miniature lexicon). `entropy` is the exact expected
number of nats spent on choices, which equals the entropy of the text when the grammar is unambiguous.

Simplified on purpose: there is no recursion (repetition is a Choice between fixed counts), Computed
words carry no probability (they are determined by what came before) and choice weights never
depend on earlier choices, which keeps `entropy` exact.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from random import Random

Matches = Iterator[tuple[int, float, dict]]  # (where the part ends, its log-probability, bindings)
Derivations = Iterator[tuple[tuple[str, ...], float, dict]]  # (words so far, log-probability, bindings)


class View:
    """Read-only access to a derivation so far, handed to Computed nodes."""

    __slots__ = ("tokens", "env")

    def __init__(self, tokens: Sequence[str], env: dict):
        self.tokens = tokens
        self.env = env

    def words(self, var: str, index: int = -1) -> list[str]:
        """The words of the part bound to `var` (the latest one unless `index` says which)."""
        start, end = self.env[var][index]
        return list(self.tokens[start:end])

    def mark(self, key: str) -> object:
        """The value recorded by the latest Mark(key, ...)."""
        return self.env[key]


class Sampler:
    """The state of one sampled derivation: random numbers in, words and bindings out."""

    __slots__ = ("random", "out", "env", "forced")

    def __init__(self, rng: Random, forced: dict[str, str] | None = None):
        self.random = rng.random
        self.out: list[str] = []
        self.env: dict = {}
        self.forced = forced or None


def _consume(tokens: Sequence[str], pos: int, words: tuple[str, ...], open_end: bool) -> int | None:
    """Where `words` end if they are next in `tokens`; with open_end the text may stop inside them."""
    end = pos + len(words)
    if tuple(tokens[pos:end]) == words:
        return end
    if open_end and pos == len(tokens):
        return pos
    if open_end and end >= len(tokens) > pos:
        rest = tokens[pos:]
        if tuple(rest[:-1]) == words[: len(rest) - 1] and words[len(rest) - 1].startswith(rest[-1]):
            return len(tokens)
    return None


class Node:
    """A piece of grammar; `first` is the set of words it can start with (None: unknown)."""

    first: frozenset[str] | None = frozenset()
    nullable: bool = False

    def sample(self, s: Sampler) -> float:
        """Append one random derivation's words to s.out and return its log-probability."""
        raise NotImplementedError

    def match(self, tokens: Sequence[str], pos: int, env: dict, open_end: bool) -> Matches:
        """Every way this part can produce tokens[pos:end] (with open_end, the text may stop early)."""
        raise NotImplementedError

    def enumerate(self, prefix: tuple[str, ...], env: dict) -> Derivations:
        """Every derivation of this part after `prefix`."""
        raise NotImplementedError

    def children(self) -> tuple[Node, ...]:
        """The parts directly below this one."""
        return ()

    def entropy(self) -> float:
        """Expected nats spent on choices inside this part (exact: weights do not depend on the past)."""
        return sum(child.entropy() for child in self.children())


class Words(Node):
    """Fixed words."""

    def __init__(self, text: str):
        self.words = tuple(text.split(" "))
        if not text or "" in self.words:
            raise ValueError(f"Words need single-space separated words, got {text!r}.")
        self.first = frozenset(self.words[:1])

    def sample(self, s: Sampler) -> float:
        s.out += self.words
        return 0.0

    def match(self, tokens: Sequence[str], pos: int, env: dict, open_end: bool) -> Matches:
        end = _consume(tokens, pos, self.words, open_end)
        if end is not None:
            yield end, 0.0, env

    def enumerate(self, prefix: tuple[str, ...], env: dict) -> Derivations:
        yield prefix + self.words, 0.0, env

    def entropy(self) -> float:
        return 0.0


def _node(part: Node | str) -> Node:
    return Words(part) if isinstance(part, str) else part


class Seq(Node):
    """Its parts one after the other (strings stand for Words)."""

    def __init__(self, *parts: Node | str):
        self.parts = tuple(_node(part) for part in parts)
        self.nullable = all(part.nullable for part in self.parts)
        first: set[str] = set()
        for part in self.parts:
            if part.first is None:
                first = None
                break
            first |= part.first
            if not part.nullable:
                break
        self.first = None if first is None else frozenset(first)

    def children(self) -> tuple[Node, ...]:
        return self.parts

    def sample(self, s: Sampler) -> float:
        log_prob = 0.0
        for part in self.parts:
            log_prob += part.sample(s)
        return log_prob

    def match(self, tokens: Sequence[str], pos: int, env: dict, open_end: bool, index: int = 0) -> Matches:
        if index == len(self.parts):
            yield pos, 0.0, env
            return
        for middle, log_prob, env2 in self.parts[index].match(tokens, pos, env, open_end):
            for end, rest, env3 in self.match(tokens, middle, env2, open_end, index + 1):
                yield end, log_prob + rest, env3

    def enumerate(self, prefix: tuple[str, ...], env: dict, index: int = 0) -> Derivations:
        if index == len(self.parts):
            yield prefix, 0.0, env
            return
        for middle, log_prob, env2 in self.parts[index].enumerate(prefix, env):
            for end, rest, env3 in self.enumerate(middle, env2, index + 1):
                yield end, log_prob + rest, env3


class Choice(Node):
    """One of several alternatives (label, weight, part); weights are normalized, zero weights dropped."""

    def __init__(self, name: str, alternatives: Sequence[tuple[str | None, float, Node | str]]):
        kept = [(label, float(weight), _node(part)) for label, weight, part in alternatives if weight != 0]
        if any(weight < 0 or not math.isfinite(weight) for _, weight, _ in kept) or not kept:
            raise ValueError(f"Choice {name!r} needs finite non-negative weights, not all zero.")
        total = sum(weight for _, weight, _ in kept)
        self.name = name
        self.labels = [label for label, _, _ in kept]
        self.probs = [weight / total for _, weight, _ in kept]
        self.log_probs = [math.log(p) for p in self.probs]
        self.parts = [part for _, _, part in kept]
        self.cumulative = _cumulative(self.probs)
        self.restricted = {  # label -> (cumulative probabilities, indices) for sampling under a forced label
            label: (_cumulative([self.probs[i] for i in idx]), idx)
            for label in set(self.labels)
            for idx in [[i for i, other in enumerate(self.labels) if other == label]]
        }
        self.nullable = any(part.nullable for part in self.parts)
        unknown = any(part.first is None for part in self.parts)
        self.first = None if unknown else frozenset().union(*(part.first for part in self.parts))
        self.open = [i for i, part in enumerate(self.parts) if part.first is None or part.nullable]
        by_word: dict[str, list[int]] = {}
        for i, part in enumerate(self.parts):
            for word in part.first or ():
                by_word.setdefault(word, []).append(i)
        self.by_word = {word: sorted(set(idx) | set(self.open)) for word, idx in by_word.items()}
        self._entropy: float | None = None

    def children(self) -> tuple[Node, ...]:
        return tuple(self.parts)

    def sample(self, s: Sampler) -> float:
        label = s.forced.get(self.name) if s.forced else None
        if label is None:
            i = bisect_right(self.cumulative, s.random())
        else:
            cumulative, idx = self.restricted[label]
            i = idx[min(bisect_right(cumulative, s.random()), len(idx) - 1)]
        if i >= len(self.parts):  # random() fell in the rounding gap above the last cumulative sum
            i = len(self.parts) - 1
        return self.log_probs[i] + self.parts[i].sample(s)

    def match(self, tokens: Sequence[str], pos: int, env: dict, open_end: bool) -> Matches:
        if open_end and pos >= len(tokens) - 1:
            if pos == len(tokens):
                yield pos, 0.0, env  # the text stops here: anything may follow
                return
            candidates = range(len(self.parts))  # the last word may be cut: try everything
        elif pos == len(tokens):
            candidates = self.open
        else:
            candidates = self.by_word.get(tokens[pos], self.open)
        for i in candidates:
            for end, log_prob, env2 in self.parts[i].match(tokens, pos, env, open_end):
                yield end, self.log_probs[i] + log_prob, env2

    def enumerate(self, prefix: tuple[str, ...], env: dict) -> Derivations:
        for log_p, part in zip(self.log_probs, self.parts, strict=True):
            for end, log_prob, env2 in part.enumerate(prefix, env):
                yield end, log_p + log_prob, env2

    def entropy(self) -> float:
        if self._entropy is None:
            pairs = zip(self.probs, self.parts, strict=True)
            self._entropy = sum(p * (-math.log(p) + part.entropy()) for p, part in pairs)
        return self._entropy


def _cumulative(probs: Sequence[float]) -> list[float]:
    total, out = 0.0, []
    for p in probs:
        total += p
        out.append(total)
    return out


class Bind(Node):
    """Its part, remembering the span of words it produced under `var` (every binding is kept)."""

    def __init__(self, var: str, part: Node | str):
        self.var = var
        self.part = _node(part)
        self.first, self.nullable = self.part.first, self.part.nullable

    def children(self) -> tuple[Node, ...]:
        return (self.part,)

    def sample(self, s: Sampler) -> float:
        start = len(s.out)
        log_prob = self.part.sample(s)
        s.env[self.var] = s.env.get(self.var, ()) + ((start, len(s.out)),)
        return log_prob

    def match(self, tokens: Sequence[str], pos: int, env: dict, open_end: bool) -> Matches:
        for end, log_prob, env2 in self.part.match(tokens, pos, env, open_end):
            yield end, log_prob, {**env2, self.var: env2.get(self.var, ()) + ((pos, end),)}

    def enumerate(self, prefix: tuple[str, ...], env: dict) -> Derivations:
        for end, log_prob, env2 in self.part.enumerate(prefix, env):
            yield end, log_prob, {**env2, self.var: env2.get(self.var, ()) + ((len(prefix), len(end)),)}


class Mark(Node):
    """Records `value` under `key` (the latest mark wins) and emits nothing."""

    nullable = True

    def __init__(self, key: str, value: object):
        self.key, self.value = key, value

    def sample(self, s: Sampler) -> float:
        s.env[self.key] = self.value
        return 0.0

    def match(self, tokens: Sequence[str], pos: int, env: dict, open_end: bool) -> Matches:
        yield pos, 0.0, {**env, self.key: self.value}

    def enumerate(self, prefix: tuple[str, ...], env: dict) -> Derivations:
        yield prefix, 0.0, {**env, self.key: self.value}


class Computed(Node):
    """Words that follow from the derivation so far: `rule(view)` returns them; `vocabulary` lists them all."""

    first = None
    nullable = True

    def __init__(self, rule: Callable[[View], Sequence[str]], vocabulary: Sequence[str]):
        self.rule = rule
        self.vocabulary = frozenset(vocabulary)

    def sample(self, s: Sampler) -> float:
        s.out += self.rule(View(s.out, s.env))
        return 0.0

    def match(self, tokens: Sequence[str], pos: int, env: dict, open_end: bool) -> Matches:
        if open_end and pos >= len(tokens) - 1:
            # The text stops here or inside the next word, so the words the rule reads may be cut off too:
            # accept when the cut word can begin one of the words this part produces.
            cut = tokens[pos] if pos < len(tokens) else ""
            if any(word.startswith(cut) for word in self.vocabulary):
                yield len(tokens), 0.0, env
            return
        end = _consume(tokens, pos, tuple(self.rule(View(tokens, env))), open_end)
        if end is not None:
            yield end, 0.0, env

    def enumerate(self, prefix: tuple[str, ...], env: dict) -> Derivations:
        yield prefix + tuple(self.rule(View(prefix, env))), 0.0, env


def walk(root: Node) -> Iterator[Node]:
    """Every distinct node below `root` (shared parts once)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield node
        stack.extend(node.children())


def vocabulary(root: Node) -> set[str]:
    """All words the grammar below `root` can produce."""
    words: set[str] = set()
    for node in walk(root):
        if isinstance(node, Words):
            words.update(node.words)
        elif isinstance(node, Computed):
            words.update(node.vocabulary)
    return words


def choice_labels(root: Node) -> dict[str, set[str]]:
    """For each Choice name, the labels of its alternatives (what `forced` may ask for)."""
    labels: dict[str, set[str]] = {}
    for node in walk(root):
        if isinstance(node, Choice):
            labels.setdefault(node.name, set()).update(label for label in node.labels if label is not None)
    return labels


def zipf(name: str, parts: Sequence[Node | str], exponent: float = 1.0) -> Choice:
    """A Choice whose k-th alternative has weight 1 / k**exponent: a few common words, a long tail."""
    return Choice(name, [(None, 1.0 / (rank + 1) ** exponent, part) for rank, part in enumerate(parts)])


def uniform(name: str, parts: Sequence[Node | str]) -> Choice:
    """A Choice between equally likely alternatives."""
    return Choice(name, [(None, 1.0, part) for part in parts])


def optional(name: str, part: Node | str, probability: float) -> Choice:
    """`part` with the given probability, else nothing."""
    return Choice(name, [("yes", probability, part), ("no", 1.0 - probability, Seq())])


def repeat(name: str, part: Node | str, counts: Sequence[tuple[int, float]]) -> Choice:
    """`part` k times in a row, k drawn from (k, weight) pairs."""
    return Choice(name, [(str(k), weight, Seq(*[part] * k)) for k, weight in counts])


def template(text: str, **slots: Node | str) -> Seq:
    """Words with {slot} holes filled by nodes, e.g. template("hi {name} .", name=NAMES)."""
    parts: list[Node | str] = []
    for piece in text.split(" "):
        if piece.startswith("{") and piece.endswith("}"):
            parts.append(slots[piece[1:-1]])
        elif parts and isinstance(parts[-1], str):
            parts[-1] += " " + piece
        else:
            parts.append(piece)
    return Seq(*parts)
