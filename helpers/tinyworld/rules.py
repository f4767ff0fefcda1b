"""The rules of TinyWorld: what each kind of document looks like, written as grammar data.

`build_grammar(lexicon, ...)` turns the word lists of `lexicon.py` into one grammar whose root picks a
document kind from the mixture. Agreement is handled by splitting rules on features: the pronoun story
is written once per gender of its hero (the distractors get the other gender), present-tense sentences
once per grammatical number. What must match something far away (a translation, the answer to a
question, a sum) is a Computed part that reads earlier parts. Every alternative is told apart by its
words, so each text has one derivation (the tests check this).
"""

from __future__ import annotations

from dataclasses import dataclass

from .grammar import (
    Bind,
    Choice,
    Computed,
    Mark,
    Node,
    Seq,
    optional,
    repeat,
    template,
    uniform,
    vocabulary,
    zipf,
)
from .language import VOCABULARY as TINY_VOCABULARY
from .language import translate_parts
from .lexicon import NUMBER_WORDS, Lexicon

MIXTURE = {"story": 0.4, "review": 0.15, "message": 0.15, "bilingual": 0.1, "instruction": 0.1, "fact": 0.1}
STORY_TYPES = {"pronoun": 0.45, "simple_pronoun": 0.05, "scene": 0.3, "profession": 0.2}
LABELS = {"review": ("positive", "negative"), "message": ("ham", "spam", "harmful"),
          "instruction": ("translate", "sentiment", "question", "addition")}
LABEL_WEIGHTS = {"review": (0.5, 0.5), "message": (0.5, 0.3, 0.2), "instruction": (0.25, 0.25, 0.25, 0.25)}
MESSAGE_SHAPE = {"ham": (0.6, 0.4), "spam": (0.7, 1.0), "harmful": (0.3, 0.3)}  # P(opener), P(ending)
LABEL_CHOICE = {"review": "sentiment", "message": "message_type", "instruction": "task"}  # Choice and Mark name
PRONOUNS = {"female": ("she", "her"), "male": ("he", "his")}  # subject, possessive
OTHER = {"female": "male", "male": "female"}


@dataclass(frozen=True)
class Grammar:
    """The document grammar and the parts that helpers reuse on their own."""

    root: Node
    bilingual_sentence: Node  # English sentences that Tiny can translate
    translation: Computed  # the Tiny translation of the latest bilingual sentence
    present_sentence: Node  # a present-tense sentence with subject-verb agreement
    verb_flip: dict[str, str]  # singular verb form <-> plural form


def labelled(name: str, weights: dict[str, float], parts: dict[str, Node]) -> Choice:
    """A Choice whose alternatives also Mark their label under `name` (so documents know it); missing weight: 0."""
    return Choice(name, [(label, weights.get(label, 0.0), Seq(Mark(name, label), parts[label])) for label in parts])


def _label_weights(kind: str) -> dict[str, float]:
    return dict(zip(LABELS[kind], LABEL_WEIGHTS[kind], strict=True))


@dataclass(frozen=True)
class _Common:
    """Word choices that several kinds share."""

    names: dict[str, Node]  # by gender
    any_name: Node
    place: Node  # "by the river"
    animal: dict[str, Node]  # by number
    any_animal: Node
    activity: Node  # "reading a book"
    number: Node  # an operand of an addition
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
        activity=zipf("activity", lx.activities),
        number=uniform("operand", NUMBER_WORDS[: lx.largest_operand + 1]),
        weather=zipf("weather", [f"{sentence} ." for sentence in lx.weather]))


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


def _pronoun_story(lx: Lexicon, c: _Common, scene: Node, gender: str, distractors: bool) -> Node:
    """A hero, then (with distractors) at least one person of the other gender, then a pronoun meaning the hero."""
    pronoun, possessive = PRONOUNS[gender]
    other_possessive = PRONOUNS[OTHER[gender]][1]
    predicates = zipf("pronoun_predicate", [p.replace("{poss}", possessive) for p in lx.pronoun_predicates])
    hero = Seq(Bind("antecedent", c.names[gender]), "is", c.activity, c.place, ".")
    ending = Seq(Bind("pronoun", pronoun), predicates, ".",
                 optional("second_pronoun_sentence", Seq(pronoun, predicates, "."), 0.3))
    if not distractors:  # "alice is reading a book by the river . she loves the peaceful environment ."
        return Seq(Mark("gender", gender), optional("opening_weather", c.weather, 0.3), hero, ending)
    distractor = Seq(Bind("distractor", c.names[OTHER[gender]]), Choice("distractor_sentence", [
        (None, 0.6, Seq("is", c.activity, c.place)),
        (None, 0.4, zipf("distractor_predicate", [p.replace("{poss}", other_possessive)
                                                  for p in lx.distractor_predicates])),
    ]), ".")
    middle = Choice("middle_sentence", [(None, 0.6, distractor), (None, 0.4, scene)])
    return Seq(
        Mark("gender", gender),
        optional("opening_weather", c.weather, 0.3),
        optional("leading_distractor", distractor, 0.3),  # so the hero is not always the first name
        hero,
        optional("opening_filler", scene, 0.2),
        distractor,  # the first distractor after the hero: only scenery may come before it
        repeat("middle_count", middle, lx.middle_counts),
        ending)


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


def _review(lx: Lexicon) -> Node:
    """An opening, then verdicts that carry the sentiment, possibly through a negation ("not bad" is positive)."""
    def body(sentiment: str) -> Node:
        same, opposite = lx.positive_adjectives, lx.negative_adjectives
        if sentiment == "negative":
            same, opposite = opposite, same
        verdict = Choice("verdict_form", [
            ("plain", 0.6, Seq(optional("intensifier", "really", 0.3), zipf("adjective", same))),
            ("negated", 0.4, Seq(Mark("negated", True), "not", zipf("adjective", opposite),
                                 optional("at_all", "at all", 0.3))),
        ])
        return zipf("review_item", [
            Seq(Mark("item", item), zipf("review_opening", openings), ". it was", verdict, ".",
                optional("aspect_verdict", Seq("the", zipf("aspect", aspects), "was", verdict, "."), 0.5))
            for item, openings, aspects in lx.review_items])

    return labelled("sentiment", _label_weights("review"), {s: body(s) for s in LABELS["review"]})


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
    return labelled("message_type", _label_weights("message"), parts)


def _bilingual_sentence(lx: Lexicon, c: _Common) -> tuple[Node, Computed]:
    """An English sentence Tiny can translate, and the Computed translation of the latest one."""
    nouns, adjectives = lx.bilingual_nouns, lx.bilingual_adjectives
    indefinite = lambda word: ("an" if word[0] in "aeiou" else "a") + " " + word  # noqa: E731
    noun_phrase = Choice("article", [
        ("the", 0.6, Seq("the", optional("has_adjective", zipf("adjective", adjectives), 0.4), zipf("noun", nouns))),
        ("a", 0.4, Choice("has_adjective", [
            ("yes", 0.4, Seq(zipf("adjective", [indefinite(a) for a in adjectives]), zipf("noun", nouns))),
            ("no", 0.6, zipf("noun", [indefinite(n) for n in nouns]))])),
    ])
    preposition = dict(lx.places)
    place = zipf("place", [f"{preposition[p]} the {p}" for p in lx.bilingual_places])
    sentence = Seq(
        Bind("subject", Choice("subject", [(None, 0.3, c.any_name), (None, 0.7, noun_phrase)])),
        Bind("verb", zipf("verb", lx.bilingual_verbs)),
        Bind("object", noun_phrase),
        Bind("place", optional("place_phrase", place, 0.5)), ".")
    translation = Computed(
        lambda v: translate_parts(v.words("subject"), v.words("verb"), v.words("object"), v.words("place")),
        vocabulary=[*TINY_VOCABULARY, *lx.female_names, *lx.male_names])
    return sentence, translation


def _question_task(lx: Lexicon, c: _Common) -> Node:
    """Two people (one of each gender, so names differ) doing things somewhere; a question about one of them."""
    def person(gender: str) -> Node:
        return Seq(Bind("qa_name", c.names[gender]), "is", Bind("qa_activity", c.activity),
                   Bind("qa_place", c.place), ".")

    def question(which: int, asked: str) -> Node:
        words = {"where": lambda v: ["where", "is", *v.words("qa_name", which), "?"],
                 "doing": lambda v: ["what", "is", *v.words("qa_name", which), "doing", "?"]}[asked]
        return Seq(Mark("qa_answer", ({"where": "qa_place", "doing": "qa_activity"}[asked], which)),
                   Computed(words, ["where", "what", "is", "doing", "?", *lx.female_names, *lx.male_names]))

    story = Choice("qa_first_gender", [(None, 0.5, Seq(person(g), person(OTHER[g]))) for g in PRONOUNS])
    asked = Choice("qa_question", [(None, 0.25, question(which, asked))
                                   for which in (0, 1) for asked in ("where", "doing")])
    answer = Computed(lambda v: [*v.words(*v.mark("qa_answer")), "."],
                      [".", *vocabulary(c.place), *vocabulary(c.activity)])
    return Seq("instruction :", Bind("instruction", Seq("answer the question about the story .", story, asked)),
               "response :", Bind("response", answer))


def _sum(lx: Lexicon) -> Computed:
    """The number word for a + b, where a and b are the latest bound operands."""
    index = {word: i for i, word in enumerate(NUMBER_WORDS)}
    return Computed(lambda v: [NUMBER_WORDS[index[v.words("a")[0]] + index[v.words("b")[0]]]],
                    NUMBER_WORDS[: 2 * lx.largest_operand + 1])


def build_grammar(lexicon: Lexicon, profession_gender_skew: float = 0.0,
                  mixture: dict[str, float] | None = None) -> Grammar:
    """The whole TinyWorld grammar for a lexicon, a profession-gender skew and a mixture of kinds."""
    lx, c = lexicon, _common(lexicon)
    present = _present_sentence(lx, c)
    scene = _scene_sentence(lx, c, present)
    story = labelled("story_type", STORY_TYPES, {
        "pronoun": Choice("hero_gender", [(g, 0.5, _pronoun_story(lx, c, scene, g, True)) for g in PRONOUNS]),
        "simple_pronoun": Choice("hero_gender", [(g, 0.5, _pronoun_story(lx, c, scene, g, False))
                                                 for g in PRONOUNS]),
        "scene": repeat("scene_count", scene, lx.scene_counts),
        "profession": _profession_story(lx, profession_gender_skew)})
    review = _review(lx)
    sentence, translation = _bilingual_sentence(lx, c)
    operands = Seq(Bind("a", c.number), "and", Bind("b", c.number))
    instruction = labelled("task", _label_weights("instruction"), {
        "translate": Seq("instruction :", Bind("instruction", Seq("translate to tiny :", sentence)),
                         "response :", Bind("response", translation)),
        "sentiment": Seq("instruction :", Bind("instruction", Seq("is this review positive or negative ?", review)),
                         "response :", Bind("response", Computed(lambda v: [v.mark("sentiment"), "."],
                                                                 [*LABELS["review"], "."]))),
        "question": _question_task(lx, c),
        "addition": Seq("instruction :", Bind("instruction", Seq("add", operands, ".")),
                        "response :", Bind("response", Seq(_sum(lx), ".")))})
    kinds = {
        "story": story, "review": review, "message": _message(lx, c),
        "bilingual": Seq("english :", Bind("english", sentence), "tiny :", Bind("tiny", translation)),
        "instruction": instruction,
        "fact": Seq(Bind("a", c.number), "plus", Bind("b", c.number), "is", Bind("sum", _sum(lx)), "."),
    }
    verb_flip = {lx.be_forms[0]: lx.be_forms[1], **dict(lx.transitive_verbs)}
    verb_flip.update({plural: singular for singular, plural in list(verb_flip.items())})
    return Grammar(labelled("kind", mixture or MIXTURE, kinds), sentence, translation, present, verb_flip)
