"""What a model can do that nobody trained it to do: TinyWorld's held-out ability tests, each scored the same way
for a GPT and for a count model, with its standard error.

    tests = ability_tests()                                  # name -> AbilityTest, from a seed no corpus uses
    score = gpt_scorer(model, tokenizer)                     # or ngram_scorer(NGramModel.train(words(text), n=3))
    result = tests["pronoun"].run(score)                     # AbilityResult: accuracy, n, se; "97.0 ± 1.2%"

An item is a prompt cut from a TinyWorld document at the point where the ability decides what comes next, and
either options (the model chooses the one it finds most probable; an option may have several wordings, whose
probabilities add up) or a target (right when greedy decoding writes it exactly). Reviews, stories and support
conversations go on as the corpus writes them (no question is asked; the words that follow show the ability);
translation is asked as '" the dog runs " in tiny is "', which no document contains. No item is, or is cut
from, a pretraining document (tests check both).

The tests and what a model must work out to pass them:
- sentiment (plain, negated, sarcastic): the review's verdict from its evidence ("not bad", "what a lovely
  hotel" followed by "the shower was cold"); options: recommending it or not.
- pronoun: "she" or "he" for the story's hero, named 20 or more words before.
- translation (zero-shot and one example): an English sentence into Tiny, in a format never seen, of a sentence
  pair the pretraining text does not contain.
- word game and notes (0 and k examples): a relation, or which label means good, shown only by the examples
  before the question: few-shot prompting. The word game asks about a word several relations map ("cat":
  cats, meow or its Tiny name), so that without examples a model can only guess the relation.
- support mood and intent: the agent's reply from how the customer feels and what they want.

Chapter 6's instructions come from here too (instruction_pairs): TinyWorld 2's instruction documents, a kind the
pretraining mixture never writes. A pair is held out when its instruction is none of `exclude` (the fine-tuning
pairs) and the text it asks about (the review, the customer's message, the story) is not a pretraining document;
a sentence to translate, and its translation, must occur nowhere in the pretraining text, as for translation_pairs.

Simplified on purpose: a few hundred items per test (standard errors of 2-4 points), chosen from wordings the
lexicon lists; a model's free-form answer is not read, only the options' probabilities or the exact target.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from helpers.ngram_model import NGramModel
from helpers.scoring import continuation_scores
from helpers.tinyworld2 import DOCUMENT_SEPARATOR, INSTRUCTIONS, RELATIONS, Lexicon, TinyWorld
from helpers.tinyworld2.rules import relation_pairs

EVALUATION_SEED = 1_000_003  # no corpus of the series is drawn from this seed
LABELLED_SEED = 2_000_000  # nor from these: labelled examples to train on (probes, fine-tuning), seed k + this
VERDICT_START = " i would"  # two of a review's three recommendations start so: the next word is its verdict
TRANSLATION_FORMAT = '" {english} " in tiny is " {tiny} "'  # a solved example
TRANSLATION_QUESTION = TRANSLATION_FORMAT[: TRANSLATION_FORMAT.index(" {tiny}")]  # '" {english} " in tiny is "'


@dataclass(frozen=True)
class Scores:
    """Per continuation: its log-probability after its prompt (nats) and whether greedy decoding writes it."""

    log_probs: list[float]
    exact: list[bool]


Scorer = Callable[[Sequence[str], Sequence[str]], Scores]


@dataclass(frozen=True)
class ChoiceItem:
    prompt: str
    options: tuple[tuple[str, ...], ...]  # each option's wordings, each starting with a space
    answer: int

    def texts(self) -> list[str]:
        """The prompt followed by each wording: none of them may be a pretraining document."""
        return [self.prompt + wording for option in self.options for wording in option]


@dataclass(frozen=True)
class CompletionItem:
    prompt: str
    target: str  # starts with a space

    def texts(self) -> list[str]:
        return [self.prompt + self.target]


@dataclass(frozen=True)
class AbilityResult:
    accuracy: float
    n: int

    @property
    def se(self) -> float:
        """The binomial standard error of the accuracy."""
        return math.sqrt(max(self.accuracy * (1 - self.accuracy), 1e-12) / self.n)

    def __str__(self) -> str:
        return f"{100 * self.accuracy:.1f} ± {100 * self.se:.1f}%"


@dataclass(frozen=True)
class AbilityTest:
    """One ability: its items and the accuracy a model without it gets (chance, or the majority answer)."""

    name: str
    items: tuple[ChoiceItem, ...] | tuple[CompletionItem, ...]
    chance: float

    def run(self, score: Scorer) -> AbilityResult:
        if isinstance(self.items[0], CompletionItem):
            scores = score([item.prompt for item in self.items], [item.target for item in self.items])
            return AbilityResult(sum(scores.exact) / len(self.items), len(self.items))
        prompts, continuations, owners = [], [], []
        for index, item in enumerate(self.items):
            for option, wordings in enumerate(item.options):
                for wording in wordings:
                    prompts.append(item.prompt)
                    continuations.append(wording)
                    owners.append((index, option))
        per_option: dict[tuple[int, int], list[float]] = {}
        for owner, log_prob in zip(owners, score(prompts, continuations).log_probs, strict=True):
            per_option.setdefault(owner, []).append(log_prob)
        right = 0
        for index, item in enumerate(self.items):
            totals = [_log_sum_exp(per_option[(index, option)]) for option in range(len(item.options))]
            right += max(range(len(totals)), key=totals.__getitem__) == item.answer
        return AbilityResult(right / len(self.items), len(self.items))


def _log_sum_exp(values: list[float]) -> float:
    top = max(values)
    if top == -math.inf:  # every wording impossible (a count model that never saw a word)
        return top
    return top + math.log(sum(math.exp(value - top) for value in values))


# ----- scorers


def gpt_scorer(model, tokenizer) -> Scorer:
    """Score with a GPT, each prompt read after the end of a previous document (as in training)."""
    def score(prompts: Sequence[str], continuations: Sequence[str]) -> Scores:
        scores = continuation_scores(model, tokenizer, prompts, continuations)
        return Scores(scores.log_prob.tolist(), scores.exact.tolist())
    return score


def words(text: str) -> list[str]:
    """TinyWorld text as the count models read it: its words and punctuation, and each document's end."""
    return re.findall(r"\S+|\n", text)


def ngram_scorer(model: NGramModel) -> Scorer:
    """Score with a count model over words; greedy decoding picks the most probable next word."""
    def score(prompts: Sequence[str], continuations: Sequence[str]) -> Scores:
        log_probs, exact = [], []
        for prompt, continuation in zip(prompts, continuations, strict=True):
            context, targets = [DOCUMENT_SEPARATOR, *words(prompt)], words(continuation)
            log_probs.append(model.log_likelihood(targets, context=context))
            exact.append(all(next(iter(model.next_token_distribution(context + targets[:i]))) == target
                             for i, target in enumerate(targets)))
        return Scores(log_probs, exact)
    return score


# ----- the tests


def normalised(text: str) -> str:
    """A text with its whitespace made single spaces: how the leakage check compares documents."""
    return " ".join(text.split())


class HeldOut:
    """Test items made from a world's documents, skipping a document or item that is a pretraining document."""

    def __init__(self, world: TinyWorld, pretraining: set[str]):
        self.world, self.pretraining = world, pretraining

    def __call__(self, n: int, make_item: Callable, kind: str, label: str | None = None, **shape: str) -> list:
        items = []
        while len(items) < n:
            for doc in self.world.documents(n - len(items), kind, label, **shape):
                item = make_item(doc)
                texts = [doc.text, *item.texts()] if item else []
                if texts and not any(normalised(text) in self.pretraining for text in texts):
                    items.append(item)
        return items


def _sentiment(draw: HeldOut, n: int, form: str) -> AbilityTest:
    shape = {"plain": {"evidence_form": "plain", "exclamation": "no"}, "negated": {"evidence_form": "negated"},
             "sarcastic": {"evidence_form": "fact", "exclamation": "yes"}}[form]
    options = tuple(tuple(f" {pair[side]} ." for pair in draw.world.lexicon.recommendations) for side in (0, 1))
    items = [item for label in ("positive", "negative") for item in draw(
        n // 2, lambda doc: ChoiceItem(doc.text[:doc.fields["closing_char"]].rstrip(), options,
                                       0 if doc.label == "positive" else 1), "review", label, **shape)]
    return AbilityTest(f"sentiment ({form})", tuple(items), 0.5)


def _pronoun(draw: HeldOut, n: int) -> AbilityTest:
    items = draw(n, lambda doc: ChoiceItem(doc.text[:doc.fields["pronoun_char"]].rstrip(), ((" she",), (" he",)),
                                           0 if doc.fields["pronoun"] == "she" else 1), "story", story_type="hero")
    return AbilityTest("pronoun", tuple(items), 0.5)


def translation_pairs(n: int, *, seed: int = EVALUATION_SEED, pretraining_text: str = "") -> list[tuple[str, str]]:
    """n (English, Tiny) sentence pairs of chapter 6's instructions (no pretraining document is an instruction),
    skipping every pair whose English or Tiny sentence occurs anywhere in `pretraining_text` (TinyWorld's short
    sentences recur, inside stories): a model cannot have read these translations."""
    world, pairs = TinyWorld(seed, mixture=INSTRUCTIONS), []
    while len(pairs) < n:
        for doc in world.documents(n - len(pairs), "instruction", "translate"):
            english, tiny = doc.fields["instruction"].split(" : ", 1)[1], doc.fields["response"]
            if english not in pretraining_text and tiny not in pretraining_text:
                pairs.append((english, tiny))
    return pairs


INSTRUCTION_TASKS = {"translate": "translate to tiny :", "sentiment": "is this review positive or negative ?",
                     "question": "answer the question about the story .",
                     "support": "which team should answer this message ?"}


def asked_about(instruction: str) -> str:
    """The text an instruction asks about, without the task's own words: what must not have been pretrained on."""
    for words in INSTRUCTION_TASKS.values():
        if instruction.startswith(words + " "):
            return instruction[len(words) + 1:]
    raise ValueError(f"not a TinyWorld 2 instruction (it starts with none of {list(INSTRUCTION_TASKS.values())}): "
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


def translation_question(english: str, examples: Sequence[tuple[str, str]] = ()) -> str:
    """'" the dog runs . " in tiny is "', after solved examples in the same format, each followed by " . "."""
    shown = "".join(TRANSLATION_FORMAT.format(english=e, tiny=t) + " . " for e, t in examples)
    return shown + TRANSLATION_QUESTION.format(english=english)


def _translation(pairs: list[tuple[str, str]], n: int, shots: int, seed: int) -> AbilityTest:
    """The first n pairs asked, each after `shots` examples drawn from the pairs after them."""
    rng = random.Random(seed)
    items = [CompletionItem(translation_question(english, rng.sample(pairs[n:], shots)), f" {tiny}")
             for english, tiny in pairs[:n]]
    return AbilityTest(f"translation ({shots} examples)", tuple(items), 0.0)


def word_game(n: int, shots: int, *, seed: int = EVALUATION_SEED) -> AbilityTest:
    """The last cue is a word several relations map (an animal has a plural, a sound and a Tiny name), so the
    cue alone does not say which relation is asked: only the examples do."""
    pairs = relation_pairs(Lexicon())
    shared = {cue for relation in RELATIONS for cue in pairs[relation]
              if sum(cue in pairs[other] for other in RELATIONS) > 1}
    relations = [relation for relation in RELATIONS if shared & set(pairs[relation])]
    rng = random.Random(seed + shots)
    items = []
    for index in range(n):
        mapping = pairs[relations[index % len(relations)]]
        cue = rng.choice(sorted(shared & set(mapping)))
        shown = "".join(f"{c} -> {mapping[c]} , " for c in rng.sample(sorted(set(mapping) - {cue}), shots))
        items.append(CompletionItem(f"word game : {shown}{cue} ->", f" {mapping[cue]}"))
    return AbilityTest(f"word game ({shots} examples)", tuple(items), 0.0)


def _notes(draw: HeldOut, n: int, shots: int) -> AbilityTest:
    def item(doc) -> ChoiceItem | None:
        notes = doc.text.removeprefix("notes : ").removesuffix(" .").split(" . ")
        if len(notes) <= shots:
            return None
        evidence, label = notes[shots].rsplit(" = ", 1)
        labels = (doc.fields["good_label"], doc.fields["bad_label"])
        shown = "".join(f"{note} . " for note in notes[:shots])
        return ChoiceItem(f"notes : {shown}{evidence} =", ((f" {labels[0]}",), (f" {labels[1]}",)),
                          labels.index(label))
    return AbilityTest(f"notes ({shots} examples)", tuple(draw(n, item, "list", list_type="notes")), 0.5)


def _support(draw: HeldOut, n: int, asked: str) -> AbilityTest:
    lexicon = draw.world.lexicon

    def item(doc) -> ChoiceItem:
        prompt = doc.fields["message"] + " agent :"
        if asked == "mood":
            options = tuple(tuple(f" {answer} ." for answer in answers) for _, _, answers in lexicon.moods)
            answer = [mood for mood, _, _ in lexicon.moods].index(doc.fields["mood"])
        else:  # the intent, after the agent's first sentence (which the mood decides)
            prompt += " " + doc.fields["reply"].split(" . ")[0] + " ."
            item = doc.fields["item"] or "thing"
            options = tuple(tuple(f" {does.replace('{item}', item)} ." for does in done)
                            for _, _, done in lexicon.intents)
            answer = [intent for intent, _, _ in lexicon.intents].index(doc.label)
        return ChoiceItem(prompt, options, answer)
    items = draw(n, item, "support")
    chance = 1 / len(lexicon.moods) if asked == "mood" else 1 / len(lexicon.intents)
    return AbilityTest(f"support {asked}", tuple(items), chance)


def ability_tests(n: int = 200, *, seed: int = EVALUATION_SEED, pretraining_text: str = "") -> dict[str, AbilityTest]:
    """Every ability test, n items each, drawn from TinyWorld with a seed no training corpus uses.

    No item comes from a document of `pretraining_text` (a corpus, one document a line), nor is one.
    """
    world = TinyWorld(seed)
    draw = HeldOut(world, {normalised(line) for line in pretraining_text.split(DOCUMENT_SEPARATOR) if line})
    tests = [_sentiment(draw, n, form) for form in ("plain", "negated", "sarcastic")]
    tests += [_pronoun(draw, n)]
    pairs = translation_pairs(2 * n, seed=seed, pretraining_text=pretraining_text)  # n asked, n to draw examples from
    tests += [_translation(pairs, n, shots, seed) for shots in (0, 1)]
    tests += [word_game(n, shots, seed=seed) for shots in (0, 3)]
    tests += [_notes(draw, n, shots) for shots in (0, 4)]
    tests += [_support(draw, n, asked) for asked in ("mood", "intent")]
    return {test.name: test for test in tests}
