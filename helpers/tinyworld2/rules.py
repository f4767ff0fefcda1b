"""The rules of TinyWorld: what each kind of document looks like, written as grammar data.

`build_grammar(lexicon, ...)` turns the word lists of `lexicon.py` into one grammar whose root picks a
document kind from the mixture. What a document means decides what it says later: a review's sentiment
decides every piece of evidence and the closing, a customer's intent and mood decide the agent's reply,
a story's hero decides the pronoun twenty and more words later. Rules that depend on such a hidden value
are written once per value (the review once per sentiment) and ask `Knowing.given` for the part that
depends on it: the true grammar gets the part for the document's own value; a grammar "blind" to that
ability gets the mixture over all values, which is what a reader who never works the value out can do
best. The difference in log-probability between the two grammars is what the ability is worth to a
next-token predictor (`TinyWorld.ability_gain`).

What must match something far away (a translation, the hero's thing and place, the product a customer
wrote about) is a Computed part that reads earlier parts. Every alternative is told apart by its words,
so each text has one derivation (the tests check this).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from .grammar import (
    Bind,
    Choice,
    Computed,
    Mark,
    Node,
    Seq,
    View,
    optional,
    repeat,
    template,
    uniform,
    zipf,
)
from .language import DICTIONARY, translate_parts
from .language import VOCABULARY as TINY_VOCABULARY
from .lexicon import Lexicon

MIXTURE = {"story": 0.4, "review": 0.2, "support": 0.15, "message": 0.1, "list": 0.15, "instruction": 0.0}
STORY_TYPES = {"hero": 0.6, "scene": 0.1, "profession": 0.15, "traveller": 0.15}
LIST_TYPES = {"words": 0.5, "notes": 0.5}
LABELS = {"review": ("positive", "negative"), "message": ("ham", "spam", "harmful"),
          "support": ("delivery", "refund", "broken", "account", "cancel"),
          "instruction": ("translate", "sentiment", "question", "support")}
LABEL_WEIGHTS = {"review": (0.5, 0.5), "message": (0.5, 0.3, 0.2), "support": (0.25, 0.2, 0.2, 0.15, 0.2),
                 "instruction": (0.25, 0.25, 0.25, 0.25)}
LABEL_CHOICE = {"review": "sentiment", "message": "message_type", "support": "intent", "instruction": "task"}
MOODS = {"angry": 0.4, "calm": 0.35, "happy": 0.25}
EVIDENCE_FORMS = {"plain": 0.4, "negated": 0.3, "fact": 0.3}  # the same in good and bad reviews
EXCLAMATION_PROBABILITY = 0.3  # the same in good and bad reviews: sincere in one, sarcastic in the other
RELATIONS = ("plural", "opposite", "tiny", "sound", "gender")
MESSAGE_SHAPE = {"ham": (0.6, 0.4), "spam": (0.7, 1.0), "harmful": (0.3, 0.3)}  # P(opener), P(ending)
PRONOUNS = {"female": ("she", "her"), "male": ("he", "his")}  # subject, possessive
OTHER = {"female": "male", "male": "female"}
ABILITIES = ("sentiment", "antecedent", "intent", "mood", "language")
NOWHERE = "\x00"  # what a copy writes when there is nothing to copy: no text contains it


@dataclass(frozen=True)
class Knowing:
    """Which abilities a grammar uses; for each one in `blind` it mixes over the hidden value instead."""

    blind: frozenset[str] = frozenset()

    def given(self, ability: str, value: str, variants: dict[str, Node | str], weights: dict[str, float]) -> Node:
        """The part for `value`, or, blind to `ability`, the mixture of every value's part by the value's prior."""
        if ability not in self.blind:
            return Seq(variants[value])
        return Choice(f"unknown_{ability}", [(None, weights[other], part) for other, part in variants.items()])


@dataclass(frozen=True)
class Grammar:
    """The document grammar and the parts that helpers reuse on their own."""

    root: Node
    english_sentence: Node  # English sentences that Tiny can translate
    translation: Node  # the Tiny translation of the latest English sentence
    present_sentence: Node  # a present-tense sentence with subject-verb agreement
    verb_flip: dict[str, str]  # singular verb form <-> plural form
    knowing: Knowing = field(default_factory=Knowing)


def labelled(name: str, weights: dict[str, float], parts: dict[str, Node]) -> Choice:
    """A Choice whose alternatives also Mark their label under `name` (so documents know it); missing weight: 0."""
    return Choice(name, [(label, weights.get(label, 0.0), Seq(Mark(name, label), parts[label])) for label in parts])


def label_weights(kind: str) -> dict[str, float]:
    """The prior weight of each label of a kind."""
    return dict(zip(LABELS[kind], LABEL_WEIGHTS[kind], strict=True))


def copy_of(var: str, vocabulary: Sequence[str], last_word: bool = False) -> Computed:
    """The words first bound to `var` in the document (or the last of them), written again."""
    def rule(view: View) -> list[str]:
        if var not in view.env:
            return [NOWHERE]
        words = view.words(var, 0)
        return words[-1:] if last_word else words

    return Computed(rule, vocabulary)


@dataclass(frozen=True)
class _Common:
    """Word choices that several kinds share."""

    names: dict[str, Node]  # by gender
    any_name: Node
    place: Node  # "by the river"
    animal: dict[str, Node]  # by number
    any_animal: Node
    weather: Node  # "the sun is shining ."


def _common(lx: Lexicon) -> _Common:
    names = {"female": zipf("female_name", lx.female_names), "male": zipf("male_name", lx.male_names)}
    animal = {"sg": zipf("animal", [sg for sg, _ in lx.animals]), "pl": zipf("animals", [pl for _, pl in lx.animals])}
    return _Common(
        names=names,
        any_name=Choice("name_gender", [(None, 0.5, names["female"]), (None, 0.5, names["male"])]),
        place=zipf("place", [f"{preposition} the {place}" for place, preposition in lx.places]),
        animal=animal,
        any_animal=Choice("animal_number", [("sg", 0.6, animal["sg"]), ("pl", 0.4, animal["pl"])]),
        weather=zipf("weather", [f"{sentence} ." for sentence in lx.weather]))


# ----- scenes


def _present_sentence(lx: Lexicon, c: _Common) -> Node:
    """ "the cat near the dogs is playing in the garden ." : the verb agrees with the subject, not the attractor."""
    def with_number(i: int) -> Node:
        attractor = Seq(zipf("attractor_preposition", lx.attractor_prepositions), "the", c.any_animal)
        transitive = zipf("transitive_verb", [pair[i] for pair in lx.transitive_verbs])
        return Seq("the", Bind("subject", c.animal[("sg", "pl")[i]]), optional("attractor", attractor, 0.4),
                   Choice("present_verb", [
                       (None, 0.5, Seq(Bind("verb", lx.be_forms[i]), zipf("ing_verb", lx.ing_verbs), c.place)),
                       (None, 0.5, Seq(Bind("verb", transitive), "the", c.any_animal))]), ".")

    numbers = enumerate(("sg", "pl"))
    return Choice("subject_number", [(n, 0.5, Seq(Mark("number", n), with_number(i))) for i, n in numbers])


def _scene_sentence(lx: Lexicon, c: _Common, present: Node) -> Node:
    """A sentence about animals, objects and places: "the cat sat on the mat .", weather, agreement."""
    past = Seq("the", c.any_animal, Choice("past_verb", [
        (None, 0.6, Seq(zipf("surface_verb", lx.surface_verbs), "the", zipf("surface", lx.surfaces))),
        (None, 0.4, Seq(zipf("place_verb", lx.place_verbs), "the", zipf("place_noun", [p for p, _ in lx.places]))),
    ]), ".")
    return Choice("scene_sentence", [(None, 0.55, past), (None, 0.3, present), (None, 0.15, c.weather)])


# ----- Tiny, met on the way


def _english_sentence(lx: Lexicon, c: _Common) -> Node:
    """An English sentence Tiny can translate, "alice sees a big dog in the garden .", its parts bound for it."""
    nouns, adjectives = lx.tiny_nouns, lx.tiny_adjectives
    indefinite = lambda word: ("an" if word[0] in "aeiou" else "a") + " " + word  # noqa: E731
    noun_phrase = Choice("article", [
        ("the", 0.6, Seq("the", optional("has_adjective", zipf("adjective", adjectives), 0.4), zipf("noun", nouns))),
        ("a", 0.4, Choice("has_adjective", [
            ("yes", 0.4, Seq(zipf("adjective", [indefinite(a) for a in adjectives]), zipf("noun", nouns))),
            ("no", 0.6, zipf("noun", [indefinite(n) for n in nouns]))])),
    ])
    preposition = dict(lx.places)
    place = zipf("place", [f"{preposition[p]} the {p}" for p in lx.tiny_places])
    return Seq(
        Bind("subject", Choice("subject", [(None, 0.3, c.any_name), (None, 0.7, noun_phrase)])),
        Bind("verb", zipf("verb", lx.tiny_verbs)),
        Bind("object", noun_phrase),
        Bind("place", optional("place_phrase", place, 0.5)), ".")


def _tiny_of_latest(view: View) -> list[str]:
    return translate_parts(view.words("subject"), view.words("verb"), view.words("object"), view.words("place"))


class GuessedTranslation(Computed):
    """A Tiny translation as read by someone who knows Tiny's word order and little words but not the meaning of
    its nouns, adjectives, verbs and places: each of those is a guess, as likely as its English counterpart is."""

    def __init__(self, lx: Lexicon):
        super().__init__(_tiny_of_latest, vocabulary=[])
        self.guess: dict[str, float] = {}  # Tiny content word -> log-probability of guessing it for its class
        for words in (lx.tiny_nouns, lx.tiny_adjectives, lx.tiny_verbs, lx.tiny_places):
            weights = [1.0 / (rank + 1) for rank in range(len(words))]  # the Zipf weights of the English words
            self.guess |= {DICTIONARY[word]: math.log(w / sum(weights)) for word, w in zip(words, weights, strict=True)}

    def match(self, tokens, pos, env, open_end):
        if open_end:
            raise NotImplementedError("a grammar blind to a language scores whole documents only")
        expected = self.rule(View(tokens, env))
        seen = tokens[pos : pos + len(expected)]
        if len(seen) < len(expected):
            return
        log_prob = 0.0
        for want, got in zip(expected, seen, strict=True):
            if want in self.guess and got in self.guess:
                log_prob += self.guess[got]
            elif want != got:
                return
        yield pos + len(expected), log_prob, env


def _tiny(lx: Lexicon, knowing: Knowing) -> Node:
    """The Tiny translation of the latest English sentence (blind to "language": its content words guessed)."""
    if "language" in knowing.blind:
        return GuessedTranslation(lx)
    return Computed(_tiny_of_latest, vocabulary=[*TINY_VOCABULARY, *lx.female_names, *lx.male_names])


def _said_in_both(lx: Lexicon, c: _Common, speaker: Node | str, english: Node, tiny: Node) -> Node:
    """A sentence said in English and then in Tiny: 'alice says " the dog sees a cat . " , and in tiny that is ...'."""
    return zipf("translation_frame", [
        template(f"{text} .", name=speaker, english=Bind("english", english), tiny=Bind("tiny", tiny), place=c.place)
        for text in lx.translation_frames])


def _traveller_story(lx: Lexicon, c: _Common, english: Node, tiny: Node) -> Node:
    """A traveller from Tiny names things in Tiny and says things in both languages."""
    pointed = Seq("the traveller points at the", Bind("pointed", zipf("noun", lx.tiny_nouns)), "and says \"",
                  Computed(lambda v: [DICTIONARY[v.words("pointed")[0]]], [DICTIONARY[n] for n in lx.tiny_nouns]),
                  "\" .")
    said = _said_in_both(lx, c, "the traveller", english, tiny)
    sentence = Choice("traveller_sentence", [(None, 0.35, pointed), (None, 0.65, said)])
    return Seq("a traveller from tiny is resting", c.place, ".", repeat("traveller_count", sentence,
                                                                        lx.traveller_counts))


# ----- stories


def _activity(lx: Lexicon, hero: bool) -> Node:
    """ "reading a book"; the hero's thing is bound, so that it can come back at the end of the story."""
    thing = (lambda word: Bind("hero_object", word)) if hero else (lambda word: word)
    return zipf("hero_activity" if hero else "activity", [Seq(doing, thing(obj)) for doing, obj in lx.activities])


def _other_person(lx: Lexicon, c: _Common) -> Node:
    """Someone else, of either gender, never meant by a pronoun: "bob waves from across the road ."."""
    def of(gender: str) -> Node:
        possessive = PRONOUNS[gender][1]
        return Seq(Bind("other", c.names[gender]), Choice("other_sentence", [
            (None, 0.6, Seq("is", _activity(lx, False), c.place)),
            (None, 0.4, zipf("other_predicate", [p.replace("{poss}", possessive) for p in lx.other_predicates])),
        ]), ".")

    return Choice("other_gender", [(g, 0.5, of(g)) for g in PRONOUNS])


def _hero_story(lx: Lexicon, c: _Common, scene: Node, said: Node, gender: str, knowing: Knowing) -> Node:
    """A hero, two to five sentences about other things, then "she"/"he" for the hero, and the hero's thing again."""
    pronoun, possessive = PRONOUNS[gender]
    predicates = zipf("pronoun_predicate", [p.replace("{poss}", possessive) for p in lx.pronoun_predicates])
    first_pronoun = knowing.given("antecedent", gender, {g: PRONOUNS[g][0] for g in PRONOUNS},
                                  {g: 0.5 for g in PRONOUNS})
    hero = Seq(Bind("antecedent", c.names[gender]), "is", _activity(lx, True), Bind("hero_place", c.place), ".")
    middle = Choice("middle_sentence", [(None, 0.45, _other_person(lx, c)), (None, 0.4, scene), (None, 0.15, said)])
    callback = zipf("callback", [
        template(f"{text} .", pron=pronoun, poss=possessive,
                 object=copy_of("hero_object", [thing for _, thing in lx.activities]),
                 place=copy_of("hero_place", [place for place, _ in lx.places], last_word=True))
        for text in lx.callbacks])
    return Seq(
        Mark("gender", gender),
        optional("opening_weather", c.weather, 0.3),
        hero,
        repeat("middle_count", middle, lx.middle_counts),
        Bind("pronoun", first_pronoun), predicates, ".",
        optional("second_pronoun_sentence", Seq(pronoun, predicates, "."), 0.3),
        optional("has_callback", callback, 0.7))


def _profession_story(lx: Lexicon, skew: float) -> Node:
    """ "the doctor said that he was tired ." with P(stereotyped pronoun) = skew (0.5 when skew is 0)."""
    clause = zipf("profession_clause", lx.profession_clauses)
    sentences = []
    for profession, stereotype in lx.professions:
        p_he = 0.5
        if stereotype and skew:
            p_he = skew if stereotype == "he" else 1.0 - skew
        pronoun = Choice(f"pronoun_after_{profession}", [("he", p_he, "he"), ("she", 1.0 - p_he, "she")])
        sentences.append(Seq("the", Bind("profession", profession), "said that", Bind("profession_pronoun", pronoun),
                             clause, "."))
    return repeat("profession_count", zipf("profession", sentences), lx.profession_counts)


# ----- reviews


def _evidence(lx: Lexicon, aspects: Sequence[str], good: Sequence[str], bad: Sequence[str], sentiment: str,
              stop: bool = True) -> Node:
    """A sentence that shows the sentiment: plainly, through a negation ("not bad"), or by what happened."""
    same, opposite, facts = lx.positive_adjectives, lx.negative_adjectives, good
    if sentiment == "negative":
        same, opposite, facts = opposite, same, bad
    end = ["."] if stop else []
    aspect = zipf("aspect", aspects)
    return Choice("evidence_form", [
        ("plain", EVIDENCE_FORMS["plain"],
         Seq("the", aspect, "was", optional("intensifier", "really", 0.3), zipf("adjective", same), *end)),
        ("negated", EVIDENCE_FORMS["negated"],
         Seq(Mark("negated", True), "the", aspect, "was not", zipf("adjective", opposite),
             optional("at_all", "at all", 0.3), *end)),
        ("fact", EVIDENCE_FORMS["fact"], Seq(zipf("fact", facts), *end)),
    ])


def _closing(lx: Lexicon, sentiment: str) -> Node:
    """How a review ends, decided by its sentiment: a recommendation, then maybe stars or the owner's reply."""
    side = 0 if sentiment == "positive" else 1
    recommendation = zipf("recommendation", [f"{pair[side]} ." for pair in lx.recommendations])
    stars = zipf("rating", [f"{stars} ." for stars in lx.ratings[0][side]])
    reply = zipf("owner_reply", [f"{pair[side]} ." for pair in lx.owner_replies])
    return Seq(recommendation, Choice("after_recommendation", [(None, 0.4, Seq()), (None, 0.3, stars),
                                                               (None, 0.3, reply)]))


def _review_body(lx: Lexicon, sentiment: str, knowing: Knowing) -> Node:
    """The opening, maybe an exclamation (sincere or sarcastic), and one to three pieces of evidence."""
    weights = label_weights("review")
    items = []
    for name, openings, aspects, good, bad in lx.review_items:
        exclamation = optional("exclamation", zipf("exclamation_form", [
            template(f"{text} .", adjective=zipf("exclamation_adjective", lx.exclamation_adjectives), item=name)
            for text in lx.exclamations]), EXCLAMATION_PROBABILITY)
        evidence = knowing.given("sentiment", sentiment, {s: _evidence(lx, aspects, good, bad, s)
                                                          for s in LABELS["review"]}, weights)
        items.append(Seq(Mark("item", name), zipf("review_opening", openings), ".", exclamation,
                         repeat("evidence_count", evidence, lx.evidence_counts)))
    return zipf("review_item", items)


def _review(lx: Lexicon, knowing: Knowing) -> Node:
    """A review: its body, then a closing that follows the sentiment too."""
    weights = label_weights("review")
    return labelled("sentiment", weights, {
        s: Seq(_review_body(lx, s, knowing),
               Bind("closing", knowing.given("sentiment", s, {t: _closing(lx, t) for t in LABELS["review"]}, weights)))
        for s in LABELS["review"]})


# ----- support conversations


def _customer_message(lx: Lexicon, intent: str, mood: str) -> Node:
    """ "customer : hi , my lamp arrived broken . i am really angry ." : the request, then the mood."""
    item = Bind("item", zipf("product", lx.products))
    asks = dict((i, texts) for i, texts, _ in lx.intents)[intent]
    says = dict((m, texts) for m, texts, _ in lx.moods)[mood]
    return Seq("customer :", optional("greeting", Seq(zipf("greeting", lx.greetings), ","), 0.5),
               zipf("customer_asks", [template(text if text.endswith("?") else f"{text} .", item=item)
                                      for text in asks]),
               zipf("customer_feels", [f"{text} ." for text in says]))


def _support(lx: Lexicon, knowing: Knowing) -> Node:
    """A customer writes what they want (intent) and how they feel (mood); the agent's reply depends on both."""
    same_item = copy_of("item", lx.products)
    does = {intent: zipf("agent_does", [template(f"{text} .", item=same_item) for text in texts])
            for intent, _, texts in lx.intents}
    answers = {mood: zipf("agent_answers", [f"{text} ." for text in texts]) for mood, _, texts in lx.moods}
    intent_weights, mood_weights = _intent_and_mood_weights(lx)
    farewell = optional("farewell", zipf("agent_farewell", [f"{text} ." for text in lx.agent_farewells]), 0.4)

    def conversation(intent: str, mood: str) -> Node:
        return Seq(_customer_message(lx, intent, mood), "agent :", Bind("reply", Seq(
            knowing.given("mood", mood, answers, mood_weights), knowing.given("intent", intent, does, intent_weights),
            farewell)))

    return labelled("intent", intent_weights, {
        intent: labelled("mood", mood_weights, {mood: conversation(intent, mood) for mood in mood_weights})
        for intent in intent_weights})


def _intent_and_mood_weights(lx: Lexicon) -> tuple[dict[str, float], dict[str, float]]:
    """The prior weights of the intents and moods the lexicon has words for."""
    intents, moods = {intent for intent, _, _ in lx.intents}, {mood for mood, _, _ in lx.moods}
    return ({i: w for i, w in label_weights("support").items() if i in intents},
            {m: w for m, w in MOODS.items() if m in moods})


# ----- messages


def _message(lx: Lexicon, c: _Common) -> Node:
    """Ham, spam and (mild, abstract) harmful messages: [opener] body [ending], each filled in from templates."""
    slots = dict(name=c.any_name, place=c.place, object=zipf("object", lx.objects), animal=c.animal["sg"],
                 prize=zipf("prize", lx.prizes), insult=zipf("insult", lx.insults))
    parts = {}
    for label, openers, bodies, endings in lx.messages:
        p_opener, p_ending = MESSAGE_SHAPE[label]
        fill = lambda name, texts: zipf(name, [template(text, **slots) for text in texts])  # noqa: E731
        parts[label] = Seq(optional(f"{label}_has_opener", fill(f"{label}_opener", openers), p_opener),
                           fill(f"{label}_body", bodies),
                           optional(f"{label}_has_ending", fill(f"{label}_ending", endings), p_ending))
    return labelled("message_type", label_weights("message"), parts)


# ----- lists that repeat a pattern


def relation_pairs(lx: Lexicon) -> dict[str, dict[str, str]]:
    """Each relation of the word lists as a mapping from a word to its partner."""
    opposites = dict(lx.opposites) | {b: a for a, b in lx.opposites}
    genders = dict(zip(lx.female_names, lx.male_names, strict=True))
    return {"plural": dict(lx.animals), "opposite": opposites,
            "tiny": {noun: DICTIONARY[noun] for noun in lx.tiny_nouns}, "sound": dict(lx.animal_sounds),
            "gender": genders | {b: a for a, b in genders.items()}}


def _word_list(lx: Lexicon) -> Node:
    """ "word game : cat -> cats , dog -> dogs , fox -> foxes ." : one relation a list, shown by examples only."""
    def listing(mapping: dict[str, str]) -> Node:
        pair = Seq(Bind("cue", uniform("cue", list(mapping))), "->",
                   Computed(lambda v: [mapping[v.words("cue")[0]]], sorted(set(mapping.values()))))
        return Seq(pair, repeat("more_pairs", Seq(",", pair), [(k - 1, w) for k, w in lx.pair_counts]), ".")

    pairs = relation_pairs(lx)
    return Seq("word game :", labelled("relation", {r: 1.0 for r in RELATIONS},
                                       {r: listing(pairs[r]) for r in RELATIONS}))


def _note_list(lx: Lexicon) -> Node:
    """ "notes : the soup was cold = no . the bed was soft = yes ." : two labels a list; which one means good varies."""
    aspects = list(dict.fromkeys(a for item in lx.review_items for a in item[2]))
    good = [fact for item in lx.review_items for fact in item[3]]
    bad = [fact for item in lx.review_items for fact in item[4]]

    def notes(good_label: str, bad_label: str) -> Node:
        note = Choice("note_sentiment", [
            (s, 0.5, Seq(_evidence(lx, aspects, good, bad, s, stop=False), "=", label, "."))
            for s, label in (("positive", good_label), ("negative", bad_label))])
        return Seq(Mark("good_label", good_label), Mark("bad_label", bad_label),
                   note, repeat("more_notes", note, [(k - 1, w) for k, w in lx.pair_counts]))

    orientations = [(None, 0.5, notes(a, b)) for pair in lx.label_pairs for a, b in (pair, pair[::-1])]
    return Seq("notes :", Choice("label_pair", orientations))


# ----- instructions: the format chapter 6 teaches by fine-tuning; never in the pretraining mixture


def _question(lx: Lexicon, c: _Common) -> tuple[Node, Node]:
    """Two people (one of each gender, so names differ) doing things somewhere, a question about one of them, and
    the Computed answer."""
    def person(gender: str) -> Node:
        return Seq(Bind("qa_name", c.names[gender]), "is", Bind("qa_activity", _activity(lx, False)),
                   Bind("qa_place", c.place), ".")

    def question(which: int, asked: str) -> Node:
        words = {"where": lambda v: ["where", "is", *v.words("qa_name", which), "?"],
                 "doing": lambda v: ["what", "is", *v.words("qa_name", which), "doing", "?"]}[asked]
        return Seq(Mark("qa_answer", ({"where": "qa_place", "doing": "qa_activity"}[asked], which)),
                   Computed(words, ["where", "what", "is", "doing", "?", *lx.female_names, *lx.male_names]))

    story = Choice("qa_first_gender", [(None, 0.5, Seq(person(g), person(OTHER[g]))) for g in PRONOUNS])
    asked = Choice("qa_question", [(None, 0.25, question(which, asked))
                                   for which in (0, 1) for asked in ("where", "doing")])
    answer_words = {word for place, preposition in lx.places for word in (preposition, "the", place)}
    answer_words |= {word for doing, thing in lx.activities for word in [*doing.split(" "), thing]}
    answer = Computed(lambda v: [*v.words(*v.mark("qa_answer")), "."], [".", *sorted(answer_words)])
    return Seq("answer the question about the story .", story, asked), answer


def _instruction(lx: Lexicon, c: _Common, english: Node, tiny: Node, knowing: Knowing) -> Node:
    """ "instruction : <task and its input> response : <answer>" for translation, sentiment, questions and support."""
    def task(instruction: Node, response: Node) -> Node:
        return Seq("instruction :", Bind("instruction", instruction), "response :", Bind("response", response))

    reviews = labelled("sentiment", label_weights("review"),
                       {s: _review_body(lx, s, knowing) for s in LABELS["review"]})
    intent_weights, mood_weights = _intent_and_mood_weights(lx)
    messages = labelled("intent", intent_weights, {
        intent: labelled("mood", mood_weights, {mood: _customer_message(lx, intent, mood) for mood in mood_weights})
        for intent in intent_weights})
    story, answer = _question(lx, c)
    return labelled("task", label_weights("instruction"), {
        "translate": task(Seq("translate to tiny :", english), tiny),
        "sentiment": task(Seq("is this review positive or negative ?", reviews),
                          Computed(lambda v: [v.mark("sentiment"), "."], [*LABELS["review"], "."])),
        "question": task(story, answer),
        "support": task(Seq("which team should answer this message ?", messages),
                        Computed(lambda v: ["the", v.mark("intent"), "team", "."],
                                 ["the", "team", ".", *LABELS["support"]])),
    })


def build_grammar(lexicon: Lexicon, profession_gender_skew: float = 0.0, mixture: dict[str, float] | None = None,
                  knowing: Knowing | None = None) -> Grammar:
    """The whole TinyWorld grammar for a lexicon, a profession-gender skew, a mixture of kinds and what it knows."""
    lx, c, knowing = lexicon, _common(lexicon), knowing or Knowing()
    present = _present_sentence(lx, c)
    scene = _scene_sentence(lx, c, present)
    english, tiny = _english_sentence(lx, c), _tiny(lx, knowing)
    said = _said_in_both(lx, c, c.any_name, english, tiny)
    story = labelled("story_type", STORY_TYPES, {
        "hero": Choice("hero_gender", [(g, 0.5, _hero_story(lx, c, scene, said, g, knowing)) for g in PRONOUNS]),
        "scene": repeat("scene_count", scene, lx.scene_counts),
        "profession": _profession_story(lx, profession_gender_skew),
        "traveller": _traveller_story(lx, c, english, tiny)})
    lists = labelled("list_type", LIST_TYPES, {"words": _word_list(lx), "notes": _note_list(lx)})
    kinds = {
        "story": story, "review": _review(lx, knowing), "support": _support(lx, knowing),
        "message": _message(lx, c), "list": lists, "instruction": _instruction(lx, c, english, tiny, knowing),
    }
    verb_flip = {lx.be_forms[0]: lx.be_forms[1], **dict(lx.transitive_verbs)}
    verb_flip.update({plural: singular for singular, plural in list(verb_flip.items())})
    root = labelled("kind", MIXTURE if mixture is None else mixture, kinds)
    return Grammar(root, english, tiny, present, verb_flip, knowing)
