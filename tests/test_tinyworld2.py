"""TinyWorld 2: exact probabilities, an unambiguous grammar, documents that mean what their labels say, and
abilities that are worth learning."""

import math
import re
from collections import Counter

import pytest

from helpers.tinyworld2 import (
    ABILITIES,
    DICTIONARY,
    DOCUMENT_SEPARATOR,
    INSTRUCTIONS,
    KINDS,
    LABELS,
    MIXTURE,
    RELATIONS,
    Knowing,
    Lexicon,
    TinyWorld,
    gender_swap,
    insert_secret,
    pronoun_probe,
)
from helpers.tinyworld2.rules import MESSAGE_SHAPE, relation_pairs

GENDERS = {**{n: "female" for n in Lexicon().female_names}, **{n: "male" for n in Lexicon().male_names}}
PRONOUN = {"female": "she", "male": "he"}


@pytest.fixture(scope="module")
def world():
    return TinyWorld(seed=1)


@pytest.fixture(scope="module")
def sample(world):
    return world.documents(3000)


@pytest.fixture(scope="module", params=[None, INSTRUCTIONS], ids=["corpus", "instructions"])
def miniature(request):
    """Every document of a miniature world, with its probability (a few thousand of them)."""
    world = TinyWorld(tiny=True, mixture=request.param)
    return world, list(world.enumerate_documents())


# ----- known truth
def test_miniature_enumeration_sums_to_one_with_one_derivation_per_text(miniature):
    world, documents = miniature
    assert math.isclose(math.fsum(math.exp(d.log_prob) for d in documents), 1.0, abs_tol=1e-9)
    assert len({d.text for d in documents}) == len(documents)  # distinct derivations, distinct texts
    assert {d.kind for d in documents} == {kind for kind, weight in world.mixture.items() if weight > 0}


def test_miniature_parser_agrees_with_enumeration(miniature):
    world, documents = miniature
    for document in documents[::7]:
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


def test_parse_recovers_kind_label_and_fields(world, sample):
    for document in sample[:300]:
        parsed = world.parse(document.text)
        assert (parsed.text, parsed.kind, parsed.label, parsed.fields) == \
            (document.text, document.kind, document.label, document.fields)


def test_impossible_texts_score_minus_infinity(world, sample):
    text = sample[0].text
    for bad in ["hello world", "", text + " .", text.replace(" ", "  ", 1), text + "\n" + text, text.upper()]:
        assert world.log_prob(bad) == -math.inf and not world.is_valid(bad)
    with pytest.raises(ValueError, match="cannot generate"):
        world.parse("hello world")
    with pytest.raises(TypeError):
        world.log_prob(42)


def test_kinds_follow_the_mixture_and_instructions_are_never_in_it(sample):
    counts = Counter(d.kind for d in sample)
    assert MIXTURE["instruction"] == 0 and counts["instruction"] == 0
    for kind, weight in MIXTURE.items():
        expected = weight * len(sample)
        assert abs(counts[kind] - expected) <= 5 * math.sqrt(expected) + 1e-9


def test_shapes_condition_sampling_and_log_prob_stays_the_mixtures(world):
    for document in [world.document("review", "positive", evidence_form="negated"),
                     world.document("story", story_type="traveller"), world.document("support", "refund", mood="angry"),
                     world.document("list", list_type="words", relation="tiny"), world.document("message", "harmful")]:
        assert world.log_prob(document.text) == pytest.approx(document.log_prob, abs=1e-9)
    instructions = TinyWorld(seed=2, mixture=INSTRUCTIONS)
    for document in instructions.documents(50):
        assert document.kind == "instruction" and world.log_prob(document.text) == -math.inf


def test_entropy_floor_figures_are_consistent(world):
    floor = world.entropy_floor(n_documents=5000)
    assert abs(floor.sampled_nats_per_document - floor.nats_per_document) < 5 * floor.sampled_nats_per_document_se
    assert floor.bits_per_char == pytest.approx(floor.nats_per_document / math.log(2) / floor.chars_per_document)
    assert floor.nats_per_char == pytest.approx(floor.bits_per_char * math.log(2))
    assert 0 < floor.bits_per_char_se < 0.01 * floor.bits_per_char
    fresh, measured = TinyWorld(seed=5), TinyWorld(seed=5)
    measured.entropy_floor(n_documents=100)
    assert measured.document() == fresh.document()  # measuring does not move the document stream


# ----- what each ability is worth
@pytest.mark.parametrize("ability", ABILITIES)
def test_every_ability_is_worth_learning(world, ability):
    gain = world.ability_gain(ability, n_documents=600)
    assert gain.nats_per_char > 5 * gain.nats_per_char_se > 0  # a model that never works it out loses this much
    assert 0 < gain.share_of_documents < 1


def test_the_antecedent_is_worth_exactly_one_coin_flip_per_hero_story(world):
    gain = world.ability_gain("antecedent", n_documents=400)
    assert gain.nats_per_document == pytest.approx(math.log(2))
    assert gain.share_of_documents == pytest.approx(MIXTURE["story"] * 0.6, abs=0.1)


@pytest.mark.parametrize("ability", ["sentiment", "antecedent", "intent", "mood"])
def test_ability_gain_estimates_the_exact_expected_log_likelihood_ratio(ability):
    """In the miniature world the expectation over every document can be summed exactly: the sampled estimate
    agrees with it, and it is positive (the blind grammar spreads probability over texts TinyWorld never writes,
    such as a review that is good and bad at once)."""
    world = TinyWorld(tiny=True)
    blind = TinyWorld(tiny=True, knowing=Knowing(frozenset({ability})))
    documents = list(world.enumerate_documents())
    probabilities = [math.exp(d.log_prob) for d in documents]
    assert math.fsum(math.exp(blind.log_prob(d.text)) for d in documents) < 1
    exact = math.fsum(p * (d.log_prob - blind.log_prob(d.text)) for p, d in zip(probabilities, documents, strict=True))
    chars = math.fsum(p * (len(d.text) + 1) for p, d in zip(probabilities, documents, strict=True))
    gain = world.ability_gain(ability, n_documents=3000)
    assert exact > 0 and abs(gain.nats_per_char - exact / chars) < 5 * gain.nats_per_char_se


# ----- format, determinism, size
def test_same_seed_same_text_and_the_corpus_format():
    text = TinyWorld(seed=3).corpus_text(200)
    assert text == TinyWorld(seed=3).corpus_text(200) != TinyWorld(seed=4).corpus_text(200)
    documents = text.split(DOCUMENT_SEPARATOR)
    assert len(documents) == 201 and documents[-1] == ""
    assert [d.text for d in TinyWorld(seed=3).documents(200)] == documents[:-1]
    for document in documents[:-1]:
        assert re.fullmatch(r'[a-z.,:?!"=>-]+( [a-z.,:?!"=>-]+)*', document), document


def test_vocabulary_covers_every_sample(world, sample):
    vocabulary = set(world.vocabulary())
    seen = {word for d in sample for word in d.text.split(" ")}
    assert seen <= vocabulary and len(seen) >= 550


def test_every_prefix_of_a_document_is_a_valid_prefix_and_a_changed_word_is_not(world):
    for document in world.documents(100):
        words = document.text.split(" ")
        for cut in range(1, len(words) + 1):
            start = " ".join(words[:cut])
            assert world.is_valid_prefix(start) and world.is_valid_prefix(start[:-1]), start
        assert not world.is_valid_prefix(" ".join([*words[:-1], "zebra"]) + " "), document.text


# ----- stories
def test_hero_stories_use_the_pronoun_for_the_hero_twenty_and_more_words_later(world):
    stories = world.documents(400, "story", story_type="hero")
    for story in stories:
        f, tokens = story.fields, story.text.split(" ")
        assert tokens[f["antecedent_token"]] == f["antecedent"] and tokens[f["pronoun_token"]] == f["pronoun"]
        assert f["pronoun"] == PRONOUN[GENDERS[f["antecedent"]]] == PRONOUN[f["gender"]]
        assert f["distance"] == f["pronoun_token"] - f["antecedent_token"] >= 20
        before = tokens[: f["pronoun_token"]]
        assert not {"he", "she"} & set(before)  # no pronoun before the one that means the hero
        first_person = next(word for word in tokens if word in GENDERS)
        assert first_person == f["antecedent"]
        if "later ," in story.text or "at sunset ," in story.text or "before" in story.text:
            assert f" {f['hero_object']} " in story.text[story.fields["pronoun_char"]:]
    same = [GENDERS[name] == s.fields["gender"] for s in stories for name in s.fields["others"]]
    assert abs(sum(same) / len(same) - 0.5) < 0.05  # other people are of either gender: no shortcut to the hero
    assert max(s.fields["distance"] for s in stories) > 50


def test_pronoun_probe(world):
    story = world.document("story", story_type="hero")
    prompt, pronoun = pronoun_probe(story)
    assert story.text.startswith(prompt + " " + pronoun + " ")
    assert world.is_valid_prefix(prompt + " " + pronoun + " ")
    assert not world.is_valid_prefix(prompt + " " + {"she": "he", "he": "she"}[pronoun] + " ")
    with pytest.raises(ValueError, match="hero story"):
        pronoun_probe(world.document("review"))


def test_agreement_minimal_pairs(world):
    plurals = {pl for _, pl in Lexicon().animals}
    for prefix, correct, wrong in world.agreement_pairs(200):
        subject = prefix.split(" ")[1]
        assert (correct in ("are", *(pl for _, pl in Lexicon().transitive_verbs))) == (subject in plurals)
        assert world.is_valid_prefix(prefix + " " + correct + " ")
        assert not world.is_valid_prefix(prefix + " " + wrong + " ")


def test_profession_gender_skew_is_exact_and_off_by_default():
    def he_odds(world, profession):
        return math.exp(world.log_prob(f"the {profession} said that he was tired .")
                        - world.log_prob(f"the {profession} said that she was tired ."))

    default, skewed = TinyWorld(), TinyWorld(profession_gender_skew=0.9)
    assert he_odds(default, "doctor") == pytest.approx(1.0) and he_odds(skewed, "doctor") == pytest.approx(9.0)
    assert he_odds(skewed, "nurse") == pytest.approx(1 / 9) and he_odds(skewed, "chef") == pytest.approx(1.0)
    with pytest.raises(ValueError, match="profession_gender_skew"):
        TinyWorld(profession_gender_skew=0.3)


def test_gender_swap_keeps_documents_valid(world, sample):
    for document in sample[:500]:
        swapped = gender_swap(document.text)
        assert world.is_valid(swapped) and gender_swap(swapped) == document.text
    story = world.document("story", story_type="hero")
    assert pronoun_probe(world.parse(gender_swap(story.text)))[1] != story.fields["pronoun"]


# ----- Tiny
def test_tiny_appears_only_said_in_english_first_and_translated_right(world):
    assert world.translate("the big dog sees a small cat in the garden .") == \
        "vapo grana na hortu na ti miru piti ko vidas ."
    with pytest.raises(ValueError, match="translates sentences like"):
        world.translate("the cat sat on the mat .")
    tiny_words = set(DICTIONARY.values()) - {"."}
    for document in world.documents(300, "story", story_type="traveller") + world.documents(300, "story"):
        for english, tiny in document.fields["translations"]:
            assert world.translate(english) == tiny and document.text.index(english) < document.text.index(tiny)
        if tiny_words & set(document.text.split(" ")):  # Tiny only ever comes after English that says the same
            assert document.fields["translations"] or document.fields.get("pointed"), document.text
    corpus = world.corpus_text(3000)
    assert "english" not in corpus and "=>" not in corpus  # the formats chapters test translation in


def test_tiny_has_its_own_words():
    names = set(Lexicon().female_names + Lexicon().male_names)
    no_tiny = TinyWorld(mixture={"review": 1, "message": 1, "support": 1}).vocabulary()
    assert not set(DICTIONARY.values()) & (set(no_tiny) - names - {"."})


# ----- reviews, support, messages
def _evidence_polarity(sentence: str) -> int:
    lexicon = Lexicon()
    words = sentence.split(" ")
    for item in lexicon.review_items:
        if sentence in item[3]:
            return 1
        if sentence in item[4]:
            return -1
    adjective = next(w for w in reversed(words) if w in lexicon.positive_adjectives + lexicon.negative_adjectives)
    sign = 1 if adjective in lexicon.positive_adjectives else -1
    return -sign if "not" in words else sign


@pytest.mark.parametrize("label", LABELS["review"])
@pytest.mark.parametrize("form", ["plain", "negated", "fact"])
def test_every_piece_of_evidence_and_the_closing_follow_the_sentiment(world, label, form):
    lexicon, sign = Lexicon(), 1 if label == "positive" else -1
    side = 0 if label == "positive" else 1
    for review in world.documents(60, "review", label, evidence_form=form):
        body = review.text[: review.fields["closing_char"]].rstrip(" ")
        sentences = body.removesuffix(" .").split(" . ")[1:]
        evidence = [s for s in sentences if not s.startswith(("what a", "oh ,", "well ,"))]
        assert evidence and all(_evidence_polarity(s) == sign for s in evidence), review.text
        assert any(review.fields["closing"].startswith(pair[side]) for pair in lexicon.recommendations)
        assert review.fields["negated"] == (form == "negated")


def test_exclamations_are_as_frequent_in_good_reviews_as_in_bad_ones(world):
    shares = {label: sum(d.fields["exclamation"] for d in world.documents(1500, "review", label)) / 1500
              for label in LABELS["review"]}
    assert abs(shares["positive"] - shares["negative"]) < 4 * math.sqrt(2 * 0.3 * 0.7 / 1500)
    sarcastic = world.document("review", "negative", exclamation="yes", evidence_form="fact")
    exclaimed = r"\. (what a|oh , just|well , that was) (wonderful|great|lovely|perfect|brilliant)"
    assert re.search(exclaimed, sarcastic.text)


def test_not_bad_is_positive_and_i_could_not_put_it_down_is_positive(world):
    review = "i watched the film last night . the story was not bad . i would go back ."
    assert world.parse(review).label == "positive"
    assert world.log_prob(review.replace("not bad . i would go", "not bad . i would not go")) == -math.inf
    gripping = "i read the book last week . i could not put it down . i would recommend it ."
    assert world.parse(gripping).label == "positive"


def test_support_replies_follow_intent_and_mood_and_name_the_product(world):
    lexicon = Lexicon()
    does = {intent: texts for intent, _, texts in lexicon.intents}
    answers = {mood: texts for mood, _, texts in lexicon.moods}
    for conversation in world.documents(300, "support"):
        f = conversation.fields
        assert conversation.text == f"{f['message']} agent : {f['reply']}"
        assert any(f["reply"].startswith(text) for text in answers[f["mood"]])
        actions = [text.replace("{item}", f["item"] or "") for text in does[conversation.label]]
        assert any(action in f["reply"] for action in actions), conversation.text
        if f["item"]:
            assert f" {f['item']} " in f["message"] + " "


def test_messages(world):
    for label in LABELS["message"]:
        messages = world.documents(100, "message", label)
        markers = ["hurt", "nobody likes you", "shut up", *(f"you are {i} ." for i in Lexicon().insults)]
        hurtful = [any(marker in m.text for marker in markers) for m in messages]
        assert all(hurtful) if label == "harmful" else not any(hurtful)


# ----- lists
def test_word_lists_keep_one_relation_that_they_never_name(world):
    mappings = relation_pairs(Lexicon())
    seen = set()
    for listing in world.documents(300, "list", list_type="words"):
        relation = listing.fields["relation"]
        seen.add(relation)
        assert all(mappings[relation][cue] == answer for cue, answer in listing.fields["pairs"])
        assert relation not in listing.text.split(" ")
    assert seen == set(RELATIONS)


def test_note_lists_pair_each_note_with_the_label_of_its_sentiment(world):
    orientation = Counter()
    for listing in world.documents(300, "list", list_type="notes"):
        good, bad = listing.fields["good_label"], listing.fields["bad_label"]
        orientation[(good, bad)] += 1
        for note in listing.text.removeprefix("notes : ").removesuffix(" .").split(" . "):
            sentence, label = note.split(" = ")
            assert label == (good if _evidence_polarity(sentence) == 1 else bad), note
    assert orientation[("yes", "no")] and orientation[("no", "yes")]  # either label can mean good


# ----- instructions (chapter 6), never pretrained on
def test_instructions_have_correct_responses():
    world = TinyWorld(seed=3, mixture=INSTRUCTIONS)
    for task in LABELS["instruction"]:
        for document in world.documents(40, "instruction", task):
            f = document.fields
            assert document.text == f"{f['prompt']} {f['response']}" == \
                f"instruction : {f['instruction']} response : {f['response']}"
            if task == "translate":
                assert world.translate(f["instruction"].removeprefix("translate to tiny : ")) == f["response"]
            elif task == "sentiment":
                assert f["response"] == f"{document.fields['response'].split(' ')[0]} ."
            elif task == "support":
                assert f["response"].split(" ")[1] in LABELS["support"]


# ----- text transforms
def test_insert_secret_into_a_corpus_text_and_a_list(world):
    corpus = world.corpus_text(50)
    secret = "alice's pin is 4 7 1 9 3 2"
    out = insert_secret(corpus, secret, times=4, seed=7)
    lines = out.split(DOCUMENT_SEPARATOR)
    assert out.endswith(DOCUMENT_SEPARATOR) and lines.count(secret) == 4
    assert [line for line in lines if line != secret] == corpus.split(DOCUMENT_SEPARATOR)
    texts = corpus.split(DOCUMENT_SEPARATOR)[:-1]
    assert insert_secret(texts, secret, 0) == texts
    with pytest.raises(ValueError, match="single-line"):
        insert_secret(corpus, "two\nlines", 1)


def test_bad_arguments_say_what_to_change(world):
    with pytest.raises(ValueError, match="kind must be one of"):
        world.document("poem")
    with pytest.raises(ValueError, match="kind must be one of"):
        world.document("instruction")  # not in the pretraining mixture
    with pytest.raises(ValueError, match="pass kind"):
        world.document(label="positive")
    with pytest.raises(ValueError, match="not a shape"):
        world.document("review", evidence_form="sarcastic")
    with pytest.raises(ValueError, match="non-negative int"):
        world.documents(-1)
    with pytest.raises(ValueError, match="mixture"):
        TinyWorld(mixture={"poem": 1.0})
    with pytest.raises(ValueError, match="ability must be one of"):
        world.ability_gain("humour")
    with pytest.raises(ValueError, match="profession_gender_skew"):
        TinyWorld(profession_gender_skew=1.5)
    assert set(KINDS) == set(MIXTURE)


def test_true_next_word_probabilities_sum_to_one_and_chain_to_the_documents_log_prob(world):
    for document in [TinyWorld(11).document("support"), TinyWorld(11).document("review")]:
        words, total = document.text.split(" "), 0.0
        for i in range(len(words) + 1):
            probabilities = world.next_word_probabilities(" ".join(words[:i]))
            assert math.isclose(sum(probabilities.values()), 1.0, abs_tol=1e-9)
            assert list(probabilities.values()) == sorted(probabilities.values(), reverse=True)
            total += math.log(probabilities[words[i] if i < len(words) else DOCUMENT_SEPARATOR])
        assert math.isclose(total, document.log_prob, abs_tol=1e-6), (document.text, total, document.log_prob)


def test_true_next_word_probabilities_follow_the_grammar(world):
    first = world.next_word_probabilities("")
    assert DOCUMENT_SEPARATOR not in first  # no document is empty
    assert math.isclose(first["customer"], MIXTURE["support"], rel_tol=1e-9)  # only support conversations start so
    ending = world.next_word_probabilities("you are useless .")  # a harmful message's body: an ending may follow
    assert math.isclose(ending[DOCUMENT_SEPARATOR], 1 - MESSAGE_SHAPE["harmful"][1], rel_tol=1e-9)
    with pytest.raises(ValueError, match="No TinyWorld document starts with"):
        world.next_word_probabilities("the the the")
    with pytest.raises(ValueError, match="separator"):
        world.next_word_probabilities("you are useless .\nhi")
