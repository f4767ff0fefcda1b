"""TinyWorld: exact probabilities, an unambiguous grammar, and documents that mean what their labels say."""

import math
import re
from collections import Counter

import pytest

from helpers.tinyworld import (
    DOCUMENT_SEPARATOR,
    KINDS,
    LABELS,
    MIXTURE,
    NUMBER_WORDS,
    Lexicon,
    TinyWorld,
    gender_swap,
    insert_secret,
    pronoun_probe,
    translate_to_tinyworld_language,
)
from helpers.tinyworld.language import DICTIONARY


@pytest.fixture(scope="module")
def world():
    return TinyWorld(seed=1)


@pytest.fixture(scope="module")
def sample(world):
    return world.documents(3000)


@pytest.fixture(scope="module")
def miniature():
    """Every document of the miniature world, with its probability (about 31,000 of them)."""
    world = TinyWorld(tiny=True)
    return world, list(world.enumerate_documents())


# ----- known truth
def test_miniature_enumeration_sums_to_one_with_one_derivation_per_text(miniature):
    world, documents = miniature
    assert math.isclose(math.fsum(math.exp(d.log_prob) for d in documents), 1.0, abs_tol=1e-9)
    assert len({d.text for d in documents}) == len(documents)  # distinct derivations, distinct texts
    assert {d.kind for d in documents} == set(KINDS)


def test_miniature_parser_agrees_with_enumeration(miniature):
    world, documents = miniature
    for document in documents[::5]:
        assert world.count_derivations(document.text) == 1
        assert world.log_prob(document.text) == pytest.approx(document.log_prob, abs=1e-9)


def test_miniature_entropy_floor_is_exact(miniature):
    world, documents = miniature
    probabilities = [math.exp(d.log_prob) for d in documents]
    entropy = -math.fsum(p * d.log_prob for p, d in zip(probabilities, documents, strict=True))
    chars = math.fsum(p * (len(d.text) + 1) for p, d in zip(probabilities, documents, strict=True))
    floor = world.entropy_floor(n_documents=4000)
    assert floor.nats_per_document == pytest.approx(entropy, rel=1e-12)
    assert abs(floor.chars_per_document - chars) < 5 * floor.chars_per_document_se
    assert abs(floor.sampled_nats_per_document - entropy) < 5 * floor.sampled_nats_per_document_se


def test_generated_log_probs_match_the_parser_and_derivations_are_unique(world, sample):
    for document in sample:
        assert world.count_derivations(document.text) == 1
        assert world.log_prob(document.text) == pytest.approx(document.log_prob, abs=1e-9)
        assert world.is_valid(document.text)


def test_parse_recovers_kind_label_and_fields(world, sample):
    for document in sample[:300]:
        parsed = world.parse(document.text)
        assert (parsed.text, parsed.kind, parsed.label, parsed.fields) == \
            (document.text, document.kind, document.label, document.fields)
        assert parsed.log_prob == pytest.approx(document.log_prob, abs=1e-9)


def test_impossible_texts_score_minus_infinity(world, sample):
    text = sample[0].text
    for bad in ["hello world", "", text + " .", text.replace(" ", "  ", 1), text + "\n" + text, text.upper()]:
        assert world.log_prob(bad) == -math.inf
        assert not world.is_valid(bad)
    with pytest.raises(ValueError, match="cannot generate"):
        world.parse("hello world")
    with pytest.raises(TypeError):
        world.log_prob(42)


def test_mixture_is_part_of_the_probability():
    only_facts = TinyWorld(mixture={"fact": 1.0})
    assert only_facts.log_prob("three plus four is seven .") == pytest.approx(-math.log(100))
    assert TinyWorld().log_prob("three plus four is seven .") == pytest.approx(math.log(MIXTURE["fact"] / 100))
    assert {d.kind for d in only_facts.documents(50)} == {"fact"}
    world = TinyWorld()  # asking for a kind or label conditions sampling; log_prob stays the mixture's
    for document in [world.document("review", "positive", negation=True), world.document("story", story_type="scene"),
                     world.document("instruction", "question"), world.document("message", "harmful")]:
        assert world.log_prob(document.text) == pytest.approx(document.log_prob, abs=1e-9)


def test_kinds_follow_the_mixture(sample):
    counts = Counter(d.kind for d in sample)
    for kind, weight in MIXTURE.items():
        expected = weight * len(sample)
        assert abs(counts[kind] - expected) < 5 * math.sqrt(expected)


def test_entropy_floor_figures_are_consistent(world):
    floor = world.entropy_floor(n_documents=5000)
    assert abs(floor.sampled_nats_per_document - floor.nats_per_document) < 5 * floor.sampled_nats_per_document_se
    assert floor.bits_per_char == pytest.approx(floor.nats_per_document / math.log(2) / floor.chars_per_document)
    assert floor.nats_per_char == pytest.approx(floor.bits_per_char * math.log(2))
    assert floor.nats_per_word == pytest.approx(floor.nats_per_document / floor.words_per_document)
    assert 0 < floor.bits_per_char_se < 0.01 * floor.bits_per_char
    assert world.entropy_floor(n_documents=5000) is floor  # cached
    fresh, measured = TinyWorld(seed=5), TinyWorld(seed=5)
    measured.entropy_floor(n_documents=100)
    assert measured.document() == fresh.document()  # measuring does not move the document stream


# ----- format, determinism, size
def test_same_seed_same_text_and_the_corpus_format():
    text = TinyWorld(seed=3).corpus_text(200)
    assert text == TinyWorld(seed=3).corpus_text(200)
    assert text != TinyWorld(seed=4).corpus_text(200)
    documents = text.split(DOCUMENT_SEPARATOR)
    assert len(documents) == 201 and documents[-1] == ""  # every document ends with the separator
    assert [d.text for d in TinyWorld(seed=3).documents(200)] == documents[:-1]
    for document in documents[:-1]:
        assert re.fullmatch(r"[a-z.,:?!]+( [a-z.,:?!]+)*", document)


def test_vocabulary_has_several_hundred_words_and_covers_every_sample(world, sample):
    vocabulary = set(world.vocabulary())
    assert len(vocabulary) >= 400
    seen = {word for d in sample for word in d.text.split(" ")}
    assert seen <= vocabulary
    assert len(seen) >= 350


def test_the_source_sentences_arise_naturally(world):
    corpus = world.corpus_text(5000)
    assert "the cat sat on the mat ." in corpus
    assert "alice is reading a book by the river ." in corpus
    assert "she loves the peaceful environment ." in corpus
    assert f"{DOCUMENT_SEPARATOR}the doctor said that " in corpus  # the bias probe starts documents
    assert world.is_valid("alice is reading a book by the river . bob waves from across the road . "
                          "she loves the peaceful environment .")
    simple = world.parse("alice is reading a book by the river . she loves the peaceful environment .")
    assert simple.fields["antecedent"] == "alice" and simple.fields["distractors"] == []


# ----- stories
def test_pronoun_stories_have_an_antecedent_and_distractors_of_the_other_gender(world):
    lexicon = Lexicon()
    genders = {**{n: "female" for n in lexicon.female_names}, **{n: "male" for n in lexicon.male_names}}
    for story in world.documents(300, "story", story_type="pronoun"):
        f, tokens = story.fields, story.text.split(" ")
        assert story.text[f["antecedent_char"]:].startswith(f["antecedent"] + " ")
        assert story.text[f["pronoun_char"]:].startswith(f["pronoun"] + " ")
        assert tokens[f["antecedent_token"]] == f["antecedent"] and tokens[f["pronoun_token"]] == f["pronoun"]
        assert f["pronoun"] == {"female": "she", "male": "he"}[genders[f["antecedent"]]] == \
            {"female": "she", "male": "he"}[f["gender"]]
        assert all(genders[name] != f["gender"] for name in f["distractors"])
        assert any(f["antecedent_token"] < t < f["pronoun_token"] for t in f["distractor_tokens"])
        for t, c, name in zip(f["distractor_tokens"], f["distractor_chars"], f["distractors"], strict=True):
            assert tokens[t] == name and story.text[c:].startswith(name + " ")
        # before the pronoun, the antecedent is the only person of its gender, and no pronoun is used
        before = tokens[: f["pronoun_token"]]
        assert [w for w in before if genders.get(w) == f["gender"]] == [f["antecedent"]]
        assert not {"he", "she"} & set(before)


def test_pronoun_probe(world):
    story = world.document("story", story_type="pronoun")
    prompt, pronoun = pronoun_probe(story)
    assert story.text.startswith(prompt + " " + pronoun + " ")
    assert pronoun == story.fields["pronoun"] and story.fields["antecedent"] in prompt.split(" ")
    assert world.is_valid_prefix(prompt) and world.is_valid_prefix(prompt + " " + pronoun)
    assert not world.is_valid_prefix(prompt + " " + {"she": "he", "he": "she"}[pronoun] + " ")
    assert world.is_valid_prefix("the cat sat on the ma")  # the last word may be cut ...
    assert not world.is_valid_prefix("the cat sat on the ma ")  # ... unless a space follows it
    with pytest.raises(ValueError, match="pronoun story"):
        pronoun_probe(world.document("fact"))


def test_every_prefix_of_a_document_is_a_valid_prefix_and_a_changed_word_is_not(world):
    """Every kind of document, cut after any word (or inside it), is a prefix; swapping in a word that
    TinyWorld never uses there is not."""
    for document in world.documents(120):
        words = document.text.split(" ")
        for cut in range(1, len(words) + 1):
            start = " ".join(words[:cut])
            assert world.is_valid_prefix(start) and world.is_valid_prefix(start[:-1]), start
            if cut < len(words):
                assert world.is_valid_prefix(start + " "), start
        assert not world.is_valid_prefix(" ".join([*words[:-1], "zebra"]) + " "), document.text


def test_pronoun_distance_varies_for_memory_experiments(world):
    stories = world.documents(300, "story", story_type="pronoun")
    distances = [s.fields["pronoun_token"] - s.fields["antecedent_token"] for s in stories]
    assert min(distances) < 15 and max(distances) > 40


def test_agreement_minimal_pairs(world):
    lexicon = Lexicon()
    plurals = {pl for _, pl in lexicon.animals}
    for prefix, correct, wrong in world.agreement_pairs(200):
        subject = prefix.split(" ")[1]
        assert (correct in ("are", *(pl for _, pl in lexicon.transitive_verbs))) == (subject in plurals)
        assert world.is_valid_prefix(prefix + " " + correct + " ")  # the space: the verb is a whole word
        assert not world.is_valid_prefix(prefix + " " + wrong + " ")


def test_profession_gender_skew_is_exact_and_off_by_default():
    def he_odds(world, profession):
        return math.exp(world.log_prob(f"the {profession} said that he was tired .")
                        - world.log_prob(f"the {profession} said that she was tired ."))

    default, skewed = TinyWorld(), TinyWorld(profession_gender_skew=0.9)
    assert he_odds(default, "doctor") == pytest.approx(1.0) and he_odds(default, "nurse") == pytest.approx(1.0)
    assert he_odds(skewed, "doctor") == pytest.approx(9.0)
    assert he_odds(skewed, "nurse") == pytest.approx(1 / 9)
    assert he_odds(skewed, "chef") == pytest.approx(1.0)
    assert TinyWorld(profession_gender_skew=1.0).log_prob("the doctor said that she was tired .") == -math.inf
    pairs = [p for d in skewed.documents(1500, "story", story_type="profession")
             for p in d.fields["profession_pronouns"] if p[0] == "doctor"]
    share = sum(pronoun == "he" for _, pronoun in pairs) / len(pairs)
    assert abs(share - 0.9) < 5 * math.sqrt(0.09 / len(pairs))
    with pytest.raises(ValueError, match="profession_gender_skew"):
        TinyWorld(profession_gender_skew=0.3)


def test_gender_swap_keeps_documents_valid(world, sample):
    for document in sample[:500]:
        swapped = gender_swap(document.text)
        assert world.is_valid(swapped) and gender_swap(swapped) == document.text
    story = world.document("story", story_type="pronoun")
    assert pronoun_probe(world.parse(gender_swap(story.text)))[1] != story.fields["pronoun"]


# ----- labelled kinds
def _verdict_polarity(text):
    """+1 / -1 for each "was [really] ADJ" or "was not ADJ [at all]" in a review, by the word lists alone."""
    lexicon, polarities = Lexicon(), []
    for match in re.finditer(r"was (not |really )?(\w+)", text):
        sign = 1 if match.group(2) in lexicon.positive_adjectives else -1
        polarities.append(-sign if match.group(1) == "not " else sign)
    return polarities


@pytest.mark.parametrize("label", LABELS["review"])
@pytest.mark.parametrize("negation", [True, False, None])
def test_reviews_mean_their_label_with_and_without_negation(world, label, negation):
    for review in world.documents(100, "review", label, negation=negation):
        assert review.kind == "review" and review.label == label
        expected = 1 if label == "positive" else -1
        assert _verdict_polarity(review.text) and set(_verdict_polarity(review.text)) == {expected}
        if negation is not None:
            assert review.fields["negated"] == negation == (" not " in review.text)


def test_sentiment_instructions_with_negation_and_labelled_corpus_text(world):
    for document in world.documents(50, "instruction", "sentiment", negation=True):
        assert " not " in document.fields["instruction"] and document.label == "sentiment"
    corpus = world.corpus_text(30, "message", "spam")
    assert {world.parse(text).label for text in corpus.split(DOCUMENT_SEPARATOR)[:-1]} == {"spam"}


def test_not_bad_is_positive_and_not_good_is_negative(world):
    review = "i watched the film last night . it was not bad ."
    assert world.parse(review).label == "positive" and world.parse(review).fields["negated"]
    assert world.parse(review.replace("bad", "good")).label == "negative"


def test_messages(world):
    for label in LABELS["message"]:
        messages = world.documents(100, "message", label)
        assert {m.label for m in messages} == {label}
        markers = ["hurt", "nobody likes you", "shut up", *(f"you are {i} ." for i in Lexicon().insults)]
        hurtful = [any(marker in m.text for marker in markers) for m in messages]
        assert all(hurtful) if label == "harmful" else not any(hurtful)
    assert world.parse("i will hurt you .").label == "harmful"
    assert world.parse("you are stupid .").label == "harmful"


def test_bilingual_passages_and_the_reference_translation(world):
    assert translate_to_tinyworld_language("the big dog sees a small cat in the garden .") == \
        "vapo grana na hortu na ti miru piti ko vidas ."
    assert world.translate("alice likes an old owl .") == "alice ulu vesa ko amas ."
    for passage in world.documents(200, "bilingual"):
        english, tiny = passage.fields["english"], passage.fields["tiny"]
        assert passage.text == f"english : {english} tiny : {tiny}"
        assert world.translate(english) == tiny
        word_for_word = [DICTIONARY.get(word, word) for word in english.split(" ")]
        assert sorted(word_for_word) == sorted(tiny.split(" ")) and word_for_word != tiny.split(" ")
    with pytest.raises(ValueError, match="translates sentences like"):
        translate_to_tinyworld_language("the cat sat on the mat .")


def test_tiny_has_its_own_words():
    names = set(Lexicon().female_names + Lexicon().male_names)
    english = set(TinyWorld(mixture={"story": 1, "review": 1, "message": 1, "fact": 1}).vocabulary())
    assert set(DICTIONARY) <= set(TinyWorld(mixture={"bilingual": 1}).vocabulary())
    assert not set(DICTIONARY.values()) & ((english | set(DICTIONARY)) - names)


def test_instructions_have_correct_responses(world):
    for task in LABELS["instruction"]:
        for document in world.documents(60, "instruction", task):
            f = document.fields
            assert document.label == task
            assert document.text == f"{f['prompt']} {f['response']}" == f"instruction : {f['instruction']} " \
                                                                         f"response : {f['response']}"
            response = f["response"].removesuffix(" .")
            if task == "translate":
                assert world.translate(f["instruction"].removeprefix("translate to tiny : ")) == f["response"]
            elif task == "sentiment":
                review = f["instruction"].removeprefix("is this review positive or negative ? ")
                assert world.parse(review).label == response
            elif task == "addition":
                a, b = re.fullmatch(r"add (\w+) and (\w+) \.", f["instruction"]).groups()
                assert _number(a) + _number(b) == _number(response)
            else:
                story, question = f["instruction"].split(" . ")[1:3], f["instruction"].split(" . ")[3]
                asked = re.search(r"is (\w+)", question).group(1)
                sentence = next(s for s in story if s.startswith(asked + " is "))
                if question.startswith("where"):
                    assert sentence.endswith(" " + response)
                else:
                    assert sentence.startswith(f"{asked} is {response} ")


def _number(word):
    return NUMBER_WORDS.index(word)


def test_facts_are_true_additions(world):
    for fact in world.documents(100, "fact"):
        f = fact.fields
        assert fact.text == f"{f['prompt']} {f['answer']} ." and f["a"] + f["b"] == f["sum"] == _number(f["answer"])
        assert 0 <= f["a"] <= 9 and 0 <= f["b"] <= 9


# ----- helpers for experiments
def test_insert_secret_into_a_corpus_text_and_a_list(world):
    corpus = world.corpus_text(50)
    secret = "alice's pin is 4 7 1 9 3 2"
    out = insert_secret(corpus, secret, times=4, seed=7)
    lines = out.split(DOCUMENT_SEPARATOR)
    assert out.endswith(DOCUMENT_SEPARATOR) and lines.count(secret) == 4
    assert [line for line in lines if line != secret] == corpus.split(DOCUMENT_SEPARATOR)
    assert out == insert_secret(corpus, secret, times=4, seed=7) != insert_secret(corpus, secret, times=4, seed=8)
    texts = corpus.split(DOCUMENT_SEPARATOR)[:-1]
    assert insert_secret(texts, secret, 0) == texts
    assert insert_secret(texts, secret, 3, seed=1).count(secret) == 3
    with pytest.raises(ValueError, match="single-line"):
        insert_secret(corpus, "two\nlines", 1)


def test_bad_arguments_say_what_to_change(world):
    with pytest.raises(ValueError, match="kind must be one of"):
        world.document("poem")
    with pytest.raises(ValueError, match="pass kind"):
        world.document(label="positive")
    with pytest.raises(ValueError, match="label"):
        world.document("review", "spam")
    with pytest.raises(ValueError, match="negation applies to reviews"):
        world.document("story", negation=True)
    with pytest.raises(ValueError, match="story_type"):
        world.document("review", story_type="pronoun")
    with pytest.raises(ValueError, match="non-negative int"):
        world.documents(-1)
    with pytest.raises(ValueError, match="mixture"):
        TinyWorld(mixture={"poem": 1.0})
    with pytest.raises(ValueError, match="kind must be one of"):
        TinyWorld(mixture={"fact": 1.0}).document("story")
