"""The pronoun attention probes: token positions, per-head attention, head ablation and cropped windows."""

import dataclasses

import pytest
import torch

from helpers.experiments.attention_probes import (
    STORY_MODEL,
    ablation_accuracies,
    antecedent_attention,
    count_model_margins,
    distance_accuracies,
    heads_switched_off,
    mean_head_outputs,
    name_distances,
    pronoun_items,
    pronoun_margins,
    same_gender_pairs,
    story_model,
    story_texts,
    stretched_pairs,
    token_spans,
    window_accuracies,
)
from helpers.model import GPT, GPTConfig
from helpers.ngram_model import NGramModel
from helpers.probes import PRONOUN_FLIP, pronoun_accuracy, pronoun_stories
from helpers.tinyworld import Lexicon, TinyWorld, pronoun_probe
from helpers.tokenizers import BPETokenizer
from helpers.training import TrainingConfig


@pytest.fixture(scope="module")
def tokenizer():
    # A small vocabulary splits names into several tokens, which the probes must handle.
    return BPETokenizer.train(TinyWorld(0).corpus_text(300), 300)


@pytest.fixture(scope="module")
def model(tokenizer):
    torch.manual_seed(0)
    # A wide context: with 300 tokens a story takes up to about 150 of them.
    return GPT(GPTConfig.preset("tiny", vocab_size=tokenizer.vocab_size, context_length=256)).eval()


@pytest.fixture(scope="module")
def stories():
    return pronoun_stories(12)


def test_token_spans_tile_the_decoded_text(tokenizer):
    ids = tokenizer.encode("alice is reading a book by the river .")
    spans = token_spans(tokenizer, ids)
    assert spans[0][0] == 0 and spans[-1][1] == len("alice is reading a book by the river .")
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))


def test_items_locate_the_antecedent_and_the_distractors(tokenizer, stories):
    for story, item in zip(stories, pronoun_items(tokenizer, stories), strict=True):
        assert tokenizer.decode(item.ids) == "\n" + story.text[: story.fields["pronoun_char"] - 1]
        assert tokenizer.decode([item.ids[i] for i in item.antecedent]).strip() == story.fields["antecedent"]
        assert item.antecedent == list(range(item.antecedent[0], item.antecedent[-1] + 1))
        names = tokenizer.decode([item.ids[i] for i in item.distractors]).replace(" ", "")
        assert names == "".join(story.fields["distractors"]) and item.pronoun == story.fields["pronoun"]
    with_pronoun = pronoun_items(tokenizer, stories[:1], query="pronoun")[0]
    assert tokenizer.decode(with_pronoun.ids).endswith(" " + stories[0].fields["pronoun"])


def test_items_reject_bad_input(tokenizer, stories):
    with pytest.raises(ValueError, match="query"):
        pronoun_items(tokenizer, stories, query="verb")
    with pytest.raises(ValueError, match="pronoun story"):
        pronoun_items(tokenizer, TinyWorld(0).documents(1, "review"))


def test_antecedent_attention_reads_the_traced_weights(model, tokenizer, stories):
    items = pronoun_items(tokenizer, stories)
    measured = antecedent_attention(model, items, batch_size=5)  # several batches of different widths
    n_layer, n_head = model.config.n_layer, model.config.n_head
    assert measured.on_antecedent.shape == (n_layer, n_head, len(items))
    item = items[3]
    weights = model.trace(torch.tensor([item.ids])).attentions  # n_layer x (1, nh, T, T)
    for layer in range(n_layer):
        row = weights[layer][0, :, -1]  # (nh, T): where the last token looks
        torch.testing.assert_close(measured.on_antecedent[layer, :, 3], row[:, item.antecedent].sum(-1))
        torch.testing.assert_close(measured.on_distractors[layer, :, 3], row[:, item.distractors].sum(-1))
        assert measured.antecedent_is_top[layer, :, 3].tolist() == [int(i) in item.antecedent for i in row.argmax(-1)]
    assert ((measured.hit_rate >= 0) & (measured.hit_rate <= 1)).all()
    layer, head = measured.best_head()
    assert measured.hit_rate[layer, head] == measured.hit_rate.max()


def test_switching_a_head_off_equals_zeroing_its_values(model, tokenizer):
    ids = torch.tensor([tokenizer.encode("alice is reading a book by the river . she")])
    before = model(ids)
    with heads_switched_off(model, [(1, 2)]):
        ablated = model(ids)
    assert not torch.allclose(ablated, before)
    torch.testing.assert_close(model(ids), before)  # the hook is gone after the block
    # The same model with head 2's value projection set to zero: its output is zero, the rest unchanged.
    silent = GPT(model.config).eval()
    silent.load_state_dict(model.state_dict())
    n_embd, head_size = model.config.n_embd, model.config.n_embd // model.config.n_head
    values = slice(2 * n_embd + 2 * head_size, 2 * n_embd + 3 * head_size)
    with torch.no_grad():
        silent.h[1].attn.c_attn.weight[values] = 0.0
        silent.h[1].attn.c_attn.bias[values] = 0.0
    torch.testing.assert_close(silent(ids), ablated)


def test_switching_off_rejects_heads_that_do_not_exist(model):
    with pytest.raises(ValueError, match="does not exist"):
        with heads_switched_off(model, [(0, 4)]):
            pass


def test_windows_split_stories_by_whether_the_antecedent_is_inside(model, tokenizer, stories):
    wide, middle, narrow = window_accuracies(model, tokenizer, stories, [model.config.context_length, 30, 1])
    assert wide.by_view["antecedent in view"] == (len(stories), pytest.approx(wide.accuracy))
    assert wide.accuracy == pytest.approx(pronoun_accuracy(model, tokenizer, stories))
    assert narrow.by_view["no name in view"] == (len(stories), pytest.approx(narrow.accuracy))
    count, accuracy = wide.by_view["only distractors in view"]
    assert count == 0 and accuracy != accuracy  # NaN: no story in that group
    assert sum(n for n, _ in middle.by_view.values()) == len(stories)
    for story, in_view in zip(stories, pronoun_items(tokenizer, stories), strict=True):
        antecedent, distractor = name_distances(tokenizer, story)
        assert antecedent == len(in_view.ids) - in_view.antecedent[0]
        assert distractor is None or distractor < antecedent  # a distractor always follows the hero


def test_a_trigram_count_model_sees_only_the_words_before_the_pronoun(stories):
    words = " ".join(f"{name} is here . {pronoun} smiles ." for name, pronoun in (("alice", "she"), ("bob", "he")) * 5)
    trigram = NGramModel.train(["\n", *words.split(" ")], 3)
    margins = count_model_margins(trigram, stories)
    assert margins.shape == (len(stories),)
    # Every probe ends with ". " and "." was followed as often by "she" as by "he": no preference at all.
    assert torch.allclose(margins, torch.zeros(len(stories)))
    with pytest.raises(ValueError, match="smoothing"):
        count_model_margins(NGramModel.train(["\n", *words.split(" ")], 3, smoothing="none"), stories)


def test_stretched_pairs_push_the_antecedent_back_with_scenery_only(tokenizer):
    simple = pronoun_stories(6, with_distractors=False)
    pairs, distances = stretched_pairs(tokenizer, simple, 40)
    people = {"she", "he", "his", "her", *Lexicon().female_names, *Lexicon().male_names}
    for story, pair, distance in zip(simple, pairs, distances, strict=True):
        prompt, pronoun = pronoun_probe(story)
        assert pair.prompt.startswith(prompt + " ") and (pair.right, pair.wrong) == (pronoun, PRONOUN_FLIP[pronoun])
        assert not set(pair.prompt[len(prompt):].split()) & people
        ids = tokenizer.encode("\n" + pair.prompt)
        spans = token_spans(tokenizer, ids)
        first = next(i for i, (_, end) in enumerate(spans) if end > 1 + story.fields["antecedent_char"])
        assert distance == len(ids) - first >= 40


def test_distance_accuracies_count_the_stories_pushed_past_the_window(model, tokenizer):
    simple = pronoun_stories(4, with_distractors=False)
    near, far = distance_accuracies(model, tokenizer, simple, [0, model.config.context_length + 10])
    assert near.beyond_window == 0 and far.beyond_window == len(simple)
    assert near.mean_distance < 40 < model.config.context_length < far.mean_distance
    assert 0.0 <= near.accuracy <= 1.0 and 0.0 <= far.accuracy <= 1.0


def test_same_gender_pairs_turn_every_distractor_to_the_heros_gender(stories):
    lexicon = Lexicon()
    for story, pair in zip(stories, same_gender_pairs(stories), strict=True):
        names = lexicon.female_names if story.fields["gender"] == "female" else lexicon.male_names
        other = {"she": "his", "he": "her"}[story.fields["pronoun"]]  # the possessive of the other gender
        words = pair.prompt.split(" ")
        assert words[story.fields["antecedent_token"]] == story.fields["antecedent"]
        assert all(words[i] in names for i in story.fields["distractor_tokens"]) and other not in words
        assert len(words) == len(pronoun_probe(story)[0].split(" ")) and pair.right == story.fields["pronoun"]


def test_ablation_table_scores_each_head_switched_off_alone(model, tokenizer, stories):
    table = ablation_accuracies(model, tokenizer, stories)
    assert table.shape == (model.config.n_layer, model.config.n_head)
    with heads_switched_off(model, [(1, 2)]):
        assert table[1, 2] == pytest.approx(pronoun_accuracy(model, tokenizer, stories))
        assert table[1, 2] == pytest.approx(float((pronoun_margins(model, tokenizer, stories) > 0).float().mean()))


def test_mean_ablation_puts_each_heads_average_output_in_its_place(model, tokenizer):
    texts = [story.text for story in pronoun_stories(3)]
    means = mean_head_outputs(model, tokenizer, texts)
    assert sorted(means) == list(range(model.config.n_layer)) and means[0].shape == (model.config.n_embd,)
    seen = []  # what enters layer 1's output projection, to average by hand
    handle = model.h[1].attn.c_proj.register_forward_pre_hook(lambda module, inputs: seen.append(inputs[0][0]))
    for text in texts:
        model(torch.tensor([tokenizer.encode("\n" + text)]))
    handle.remove()
    torch.testing.assert_close(means[1], torch.cat(seen).mean(0))
    # Mean-ablating head 2 of layer 1 equals zeroing it and adding its average output through c_proj.
    ids = torch.tensor([tokenizer.encode("alice is reading a book by the river . she")])
    head_size = model.config.n_embd // model.config.n_head
    with heads_switched_off(model, [(1, 2)], means=means):
        mean_ablated = model(ids)
    shifted = {1: torch.zeros(model.config.n_embd)}
    shifted[1][2 * head_size : 3 * head_size] = means[1][2 * head_size : 3 * head_size]
    with heads_switched_off(model, [(1, 2)], means=shifted):
        torch.testing.assert_close(model(ids), mean_ablated)
    with heads_switched_off(model, [(1, 2)]):
        assert not torch.allclose(model(ids), mean_ablated)
    with pytest.raises(ValueError, match="mean_head_outputs"):
        with heads_switched_off(model, [(0, 1)], means={1: means[1]}):
            pass


def test_story_texts_mix_stories_with_and_without_distractors():
    text = story_texts(STORY_MODEL, 40, seed=5)
    lines = text.split("\n")[:-1]
    assert len(lines) == 40 and text.endswith("\n") and text == story_texts(STORY_MODEL, 40, seed=5)
    world = TinyWorld(0)
    assert all(world.is_valid(line) for line in lines)
    assert text != story_texts(STORY_MODEL, 40, seed=6)


def test_story_model_is_trained_once_then_loaded_from_the_cache():
    recipe = dataclasses.replace(
        STORY_MODEL, documents=60, tokenizer="tinyworld-mini",
        model=(("n_layer", 1), ("n_head", 2), ("n_embd", 16), ("context_length", 32)),
        training=TrainingConfig(max_steps=3, batch_size=2, warmup_steps=1, eval_every=3, eval_batches=1))
    first, tokenizer = story_model(recipe, progress=False)
    again, _ = story_model(recipe, progress=False)
    assert first.config.n_layer == 1 and first.config.vocab_size == tokenizer.vocab_size
    for name, tensor in first.state_dict().items():
        torch.testing.assert_close(again.state_dict()[name], tensor)
