"""TinyWorld itself: seeded documents with their exact probabilities, the corpus, its entropy floor, and what each
ability is worth.

`TinyWorld(seed)` samples documents from the grammar of `rules.py`; every document carries the exact
natural-log probability of its text (`log_prob`), and `world.log_prob(text)` parses any text to give
the same number. Sampling "with a kind", "with a label" or "with a shape" (`evidence_form="negated"`)
conditions the same distribution: the document's `log_prob` is still its probability under the whole
mixture, the one the corpus is drawn from, so it always equals `world.log_prob(doc.text)`.
"""

from __future__ import annotations

import math
import numbers
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from random import Random

from .grammar import Sampler, View, choice_labels, vocabulary
from .lexicon import Lexicon
from .rules import ABILITIES, LABEL_CHOICE, LABELS, MIXTURE, Knowing, build_grammar

DOCUMENT_SEPARATOR = "\n"  # ends every document of a corpus, the last one included
KINDS = tuple(MIXTURE)
INSTRUCTIONS = {"instruction": 1.0}  # the mixture of chapter 6's instruction data, never pretrained on


@dataclass(frozen=True)
class Document:
    """One TinyWorld document: its text, kind, label, exact log-probability and structured fields."""

    text: str
    kind: str
    label: str | None
    log_prob: float
    fields: dict = field(default_factory=dict)


@dataclass(frozen=True)
class EntropyFloor:
    """The corpus's true entropy: the loss no model can beat on TinyWorld text (separator included)."""

    nats_per_document: float  # exact, from the grammar
    chars_per_document: float  # sampled mean of len(text) + 1: the separator "\n" counts as a character
    chars_per_document_se: float
    words_per_document: float  # sampled mean of words + 1: the separator counts as a word
    nats_per_char: float
    bits_per_char: float
    bits_per_char_se: float  # from the sampled length; the entropy itself is exact
    nats_per_word: float
    n_documents: int  # documents sampled for the lengths
    sampled_nats_per_document: float  # the Monte Carlo estimate of nats_per_document, as a check
    sampled_nats_per_document_se: float


@dataclass(frozen=True)
class AbilityGain:
    """What knowing one hidden value (a review's sentiment, a pronoun's antecedent ...) is worth to a predictor."""

    ability: str
    nats_per_char: float  # over the whole corpus: the loss a model that never works the value out pays extra
    nats_per_char_se: float
    nats_per_document: float  # over the documents where the ability matters
    share_of_documents: float  # of the corpus, the documents where it matters
    n_documents: int


class TinyWorld:
    """A seeded generator of short English documents whose exact probabilities are known.

    profession_gender_skew: 0 (default) means no association: "the doctor said that" is followed by
    "he" or "she" half the time each. A value p in [0.5, 1] makes the stereotyped pronoun (see
    `Lexicon.professions`: "he" for doctor, engineer, pilot, ...; "she" for nurse, teacher, dancer, ...)
    appear with probability p; professions without a stereotype stay 50/50.
    mixture: weights of the document kinds (default MIXTURE; INSTRUCTIONS for chapter 6's instructions);
    tiny: cut every word list to one or two entries so that all documents can be enumerated (for tests).
    """

    def __init__(self, seed: int = 0, *, profession_gender_skew: float = 0.0,
                 mixture: dict[str, float] | None = None, tiny: bool = False, knowing: Knowing | None = None):
        if not isinstance(seed, numbers.Integral) or isinstance(seed, bool):
            raise TypeError(f"seed must be an int, got {type(seed).__name__}.")
        skew = profession_gender_skew
        if isinstance(skew, bool) or not isinstance(skew, numbers.Real) or not (skew == 0.0 or 0.5 <= skew <= 1.0):
            raise ValueError(f"profession_gender_skew must be 0 (no association) or between 0.5 and 1 (the "
                             f"share of stereotyped pronouns), got {skew!r}.")
        if mixture is not None:
            unknown = set(mixture) - set(KINDS)
            if unknown or not mixture or any(w < 0 for w in mixture.values()) or not sum(mixture.values()) > 0:
                raise ValueError(f"mixture must map some of {KINDS} to non-negative weights, got {mixture!r}.")
        self.seed = int(seed)
        self.profession_gender_skew = float(skew)
        weights = MIXTURE if mixture is None else mixture
        self.mixture = {kind: weights.get(kind, 0.0) / sum(weights.values()) for kind in KINDS}
        self.tiny = tiny
        self.lexicon = Lexicon().miniature() if tiny else Lexicon()
        self.grammar = build_grammar(self.lexicon, self.profession_gender_skew, self.mixture, knowing)
        self._labels = choice_labels(self.grammar.root)
        self._rng = Random(self.seed)
        self._floors: dict[int, EntropyFloor] = {}
        self._vocabulary: list[str] | None = None

    # ----- sampling
    def document(self, kind: str | None = None, label: str | None = None, **shape: str) -> Document:
        """The next document of the seeded stream, optionally of a given kind, label or shape."""
        return self.documents(1, kind, label, **shape)[0]

    def documents(self, n: int, kind: str | None = None, label: str | None = None, **shape: str) -> list[Document]:
        """The next n documents; kind, label and shape (a choice's name and the alternative it must take, e.g.
        story_type="hero", evidence_form="negated", exclamation="yes", mood="angry") restrict them."""
        forced = self._forced(n, kind, label, shape)
        return [self._document(*self._sample(self.grammar.root, forced)) for _ in range(n)]

    def corpus_text(self, n_documents: int, kind: str | None = None, label: str | None = None) -> str:
        """The next n documents as one training text, each ended by DOCUMENT_SEPARATOR ("\\n")."""
        forced = self._forced(n_documents, kind, label, {})
        root, rng = self.grammar.root, self._rng
        texts = []
        for _ in range(n_documents):
            sampler = Sampler(rng, forced)
            root.sample(sampler)
            texts.append(" ".join(sampler.out))
        return "".join(text + DOCUMENT_SEPARATOR for text in texts)

    def agreement_pairs(self, n: int) -> list[tuple[str, str, str]]:
        """n (prefix, correct verb, wrong verb) minimal pairs: "the cat near the dogs" -> ("is", "are")."""
        _check_count(n)
        pairs = []
        for _ in range(n):
            tokens, env, _ = self._sample(self.grammar.present_sentence, None)
            start = env["verb"][-1][0]
            verb = tokens[start]
            pairs.append((" ".join(tokens[:start]), verb, self.grammar.verb_flip[verb]))
        return pairs

    def _sample(self, node, forced) -> tuple[list[str], dict, float]:
        sampler = Sampler(self._rng, forced)
        log_prob = node.sample(sampler)
        return sampler.out, sampler.env, log_prob

    def _forced(self, n, kind, label, shape) -> dict[str, str]:
        _check_count(n)
        forced = {}
        if kind is not None:
            if kind not in self._labels["kind"]:
                raise ValueError(f"kind must be one of {sorted(self._labels['kind'])} (kinds with a positive "
                                 f"mixture weight) or None, got {kind!r}.")
            forced["kind"] = kind
        if label is not None:
            if kind not in LABELS or label not in LABELS[kind]:
                raise ValueError(f"label {label!r} needs its kind: labels are {LABELS}; pass kind=... too.")
            forced[LABEL_CHOICE[kind]] = label
        for name, alternative in shape.items():
            if name not in self._labels or alternative not in self._labels[name]:
                hidden = ("kind", *LABEL_CHOICE.values())
                shapes = {k: sorted(v) for k, v in self._labels.items() if v and k not in hidden}
                raise ValueError(f"{name}={alternative!r} is not a shape of this world; shapes are {shapes}.")
            forced[name] = alternative
        return forced

    # ----- scoring
    def log_prob(self, text: str) -> float:
        """The exact natural-log probability that TinyWorld generates this document text (-inf: impossible)."""
        scores = [log_prob for log_prob, _ in self._derivations(text)]
        if not scores:
            return -math.inf
        top = max(scores)
        return top + math.log(sum(math.exp(s - top) for s in scores))

    def is_valid(self, text: str) -> bool:
        """Whether TinyWorld can generate exactly this document text."""
        return any(True for _ in self._derivations(text))

    def is_valid_prefix(self, text: str) -> bool:
        """Whether some TinyWorld document starts with this text; its last word may be cut unless a space follows."""
        tokens = tuple(self._check_text(text).split(" "))
        return any(end == len(tokens) for end, _, _ in self.grammar.root.match(tokens, 0, {}, True))

    def next_word_probabilities(self, prefix: str) -> dict[str, float]:
        """TinyWorld's exact distribution of the word after `prefix`, most likely first; DOCUMENT_SEPARATOR stands
        for the document's end. The prefix is whole words ("" for the start of a document); the probabilities sum
        to 1, and the log-probabilities of a document's words (and of its end) add up to its log_prob.

        P(w | prefix) = P(a document starts with prefix w) / P(a document starts with prefix), each the mass of
        the documents that go on after it (the grammar's open-ended match) plus the one that ends there.
        """
        words = self._check_text(prefix).split()
        if DOCUMENT_SEPARATOR in prefix:
            raise ValueError("The prefix contains the document separator: give the text of one document so far.")
        total = self._starts_with(words)
        if total == 0.0:
            raise ValueError(f"No TinyWorld document starts with {prefix[-80:]!r}; a prefix is whole words that "
                             f"some document begins with (check it with is_valid_prefix).")
        found = {word: self._starts_with([*words, word]) / total for word in self._vocabulary or self.vocabulary()}
        found[DOCUMENT_SEPARATOR] = self._ends_with(words) / total
        return dict(sorted(((w, p) for w, p in found.items() if p > 0), key=lambda item: -item[1]))

    def _starts_with(self, words: list[str]) -> float:
        """P(a document begins with these whole words), whether it ends there or goes on."""
        tokens = (*words, "")  # an empty last word may begin any word: the documents that go on
        going_on = sum(math.exp(log_prob) for end, log_prob, _ in self.grammar.root.match(tokens, 0, {}, True)
                       if end == len(tokens))
        return going_on + self._ends_with(words)

    def _ends_with(self, words: list[str]) -> float:
        return math.exp(self.log_prob(" ".join(words))) if words else 0.0

    def count_derivations(self, text: str) -> int:
        """How many derivations produce this text: 1 for every valid text, since the grammar is unambiguous."""
        return sum(1 for _ in self._derivations(text))

    def parse(self, text: str) -> Document:
        """The Document (kind, label, log_prob, fields) of a valid text; ValueError if TinyWorld cannot make it."""
        derivations = list(self._derivations(text))
        if not derivations:
            raise ValueError(f"TinyWorld cannot generate {text[:80]!r}; check it with is_valid() first.")
        return self._document(text.split(" "), derivations[0][1], self.log_prob(text))

    def _derivations(self, text: str) -> Iterator[tuple[float, dict]]:
        tokens = tuple(self._check_text(text).split(" "))
        for end, log_prob, env in self.grammar.root.match(tokens, 0, {}, False):
            if end == len(tokens):
                yield log_prob, env

    @staticmethod
    def _check_text(text: str) -> str:
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}.")
        return text

    def enumerate_documents(self) -> Iterator[Document]:
        """Every document with its probability; only finishes for TinyWorld(tiny=True)."""
        for tokens, log_prob, env in self.grammar.root.enumerate((), {}):
            yield self._document(list(tokens), env, log_prob)

    # ----- the known truth
    def entropy_floor(self, n_documents: int = 20_000) -> EntropyFloor:
        """Exact nats per document, and per character and per word using a sampled mean length (with s.e.)."""
        if n_documents < 2:
            raise ValueError(f"n_documents must be at least 2 to estimate a standard error, got {n_documents}.")
        if n_documents not in self._floors:
            rng, root = Random(f"tinyworld-entropy-{self.seed}"), self.grammar.root
            chars, words, nats = [], [], []
            for _ in range(n_documents):
                sampler = Sampler(rng)
                nats.append(-root.sample(sampler))
                words.append(len(sampler.out) + 1)
                chars.append(sum(map(len, sampler.out)) + len(sampler.out))  # words, spaces, separator
            entropy = root.entropy()
            mean_chars, se_chars = statistics.fmean(chars), statistics.stdev(chars) / math.sqrt(n_documents)
            bits_per_char = entropy / math.log(2) / mean_chars
            self._floors[n_documents] = EntropyFloor(
                nats_per_document=entropy, chars_per_document=mean_chars, chars_per_document_se=se_chars,
                words_per_document=statistics.fmean(words), nats_per_char=entropy / mean_chars,
                bits_per_char=bits_per_char, bits_per_char_se=bits_per_char * se_chars / mean_chars,
                nats_per_word=entropy / statistics.fmean(words), n_documents=n_documents,
                sampled_nats_per_document=statistics.fmean(nats),
                sampled_nats_per_document_se=statistics.stdev(nats) / math.sqrt(n_documents))
        return self._floors[n_documents]

    def ability_gain(self, ability: str, n_documents: int = 2000) -> AbilityGain:
        """How many nats per character a model saves by working out `ability` (see ABILITIES), measured exactly.

        Each of n_documents sampled documents is scored twice: by this world, and by the same world blind to the
        ability, which mixes over the hidden value wherever the text depends on it (rules.Knowing). The mean
        difference, per character of the corpus, is the most a model can gain by learning the ability.
        """
        if ability not in ABILITIES:
            raise ValueError(f"ability must be one of {ABILITIES}, got {ability!r}.")
        if isinstance(n_documents, bool) or not isinstance(n_documents, int) or n_documents < 2:
            raise ValueError(f"n_documents must be an int of at least 2, got {n_documents!r}.")
        blind = TinyWorld(self.seed, profession_gender_skew=self.profession_gender_skew, mixture=self.mixture,
                          tiny=self.tiny, knowing=Knowing(frozenset({ability})))
        sampler = TinyWorld(self.seed + 7919, profession_gender_skew=self.profession_gender_skew,
                            mixture=self.mixture, tiny=self.tiny)
        gains, chars = [], []
        for document in sampler.documents(n_documents):
            gains.append(document.log_prob - blind.log_prob(document.text))
            chars.append(len(document.text) + 1)
        mean_chars = statistics.fmean(chars)
        per_char = [g / mean_chars for g in gains]
        mattered = [g for g in gains if abs(g) > 1e-12]
        return AbilityGain(
            ability=ability, nats_per_char=statistics.fmean(per_char),
            nats_per_char_se=statistics.stdev(per_char) / math.sqrt(n_documents),
            nats_per_document=statistics.fmean(mattered) if mattered else 0.0,
            share_of_documents=len(mattered) / n_documents, n_documents=n_documents)

    def vocabulary(self) -> list[str]:
        """Every word (and punctuation mark) TinyWorld documents can contain, sorted."""
        if self._vocabulary is None:
            self._vocabulary = sorted(vocabulary(self.grammar.root))
        return list(self._vocabulary)

    def translate(self, english_sentence: str) -> str:
        """The reference Tiny translation of an English sentence such as "the big dog sees a cat ."."""
        tokens = tuple(self._check_text(english_sentence).split(" "))
        for end, _, env in self.grammar.english_sentence.match(tokens, 0, {}, False):
            if end == len(tokens):
                return " ".join(self.grammar.translation.rule(View(tokens, env)))
        raise ValueError(f"{english_sentence!r} is not a sentence TinyWorld translates; it translates sentences "
                         f"like 'the big dog sees a small cat in the garden .' (lowercase, words and "
                         f"punctuation separated by single spaces).")

    # ----- documents from derivations
    def _document(self, tokens: list[str], env: dict, log_prob: float) -> Document:
        kind = env["kind"]
        label = env.get(LABEL_CHOICE[kind]) if kind in LABEL_CHOICE else None
        return Document(" ".join(tokens), kind, label, log_prob, _fields(kind, tokens, env))


def _check_count(n: object) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"the number of documents must be a non-negative int, got {n!r}.")


def _fields(kind: str, tokens: list[str], env: dict) -> dict:
    """The structured extras of a document, read from its derivation's bindings."""
    words = lambda var, i=-1: " ".join(View(tokens, env).words(var, i))  # noqa: E731
    start = lambda var, i=-1: env[var][i][0]  # noqa: E731
    count = lambda var: len(env.get(var, ()))  # noqa: E731
    char = lambda index: sum(len(token) for token in tokens[:index]) + index  # noqa: E731
    translations = [(words("english", i), words("tiny", i)) for i in range(count("english"))]
    if kind == "story":
        fields: dict = {"story_type": env["story_type"], "translations": translations}
        if env["story_type"] == "hero":
            fields.update(
                gender=env["gender"], antecedent=words("antecedent"), antecedent_token=start("antecedent"),
                antecedent_char=char(start("antecedent")), pronoun=words("pronoun"), pronoun_token=start("pronoun"),
                pronoun_char=char(start("pronoun")), distance=start("pronoun") - start("antecedent"),
                hero_object=words("hero_object", 0), hero_place=words("hero_place", 0).split(" ")[-1],
                others=[words("other", i) for i in range(count("other"))])
        elif env["story_type"] == "profession":
            fields["profession_pronouns"] = [(words("profession", i), words("profession_pronoun", i))
                                             for i in range(count("profession"))]
        elif env["story_type"] == "traveller":
            fields["pointed"] = [words("pointed", i) for i in range(count("pointed"))]
        return fields
    if kind == "review":
        return {"item": env["item"], "negated": env.get("negated", False),
                "exclamation": env.get("exclamation") == "yes", "closing": words("closing"),
                "closing_char": char(start("closing"))}
    if kind == "support":
        return {"mood": env["mood"], "item": words("item") if "item" in env else None,
                "message": " ".join(tokens[: start("reply") - 2]), "reply": words("reply"),
                "reply_char": char(start("reply"))}
    if kind == "message":
        return {}
    if kind == "list":
        if env["list_type"] == "words":
            cues = [tokens[s] for s, _ in env["cue"]]
            return {"list_type": "words", "relation": env["relation"],
                    "pairs": [(cue, tokens[s + 2]) for cue, (s, _) in zip(cues, env["cue"], strict=True)]}
        return {"list_type": "notes", "good_label": env["good_label"], "bad_label": env["bad_label"]}
    if kind == "instruction":
        return {"instruction": words("instruction"), "response": words("response"),
                "prompt": " ".join(tokens[: start("response")]), "translations": translations}
    return {}

