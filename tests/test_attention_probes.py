"""The antecedent probes on TinyWorld 2: held-out stories, token positions, per-head attention, head ablation."""

import pytest
import torch

from helpers.experiments.abilities import normalised
from helpers.experiments.attention_probes import (
    PRONOUN_FLIP,
    antecedent_distance,
    heads_switched_off,
    hero_stories,
    look_back_attention,
    look_back_items,
    product_prompt,
    pronoun_pairs,
    right_probabilities,
    stretched_pairs,
    support_conversations,
    support_items,
)
from helpers.model import GPT, GPTConfig
from helpers.probes import pair_margins
from helpers.tinyworld2 import Lexicon, TinyWorld, pronoun_probe
from helpers.tokenizers import BPETokenizer


@pytest.fixture(scope="module")
def tokenizer():
    # A small vocabulary splits names and products into several tokens, which the probes must handle.
    return BPETokenizer.train(TinyWorld(0).corpus_text(300), 300)


@pytest.fixture(scope="module")
def model(tokenizer):
    torch.manual_seed(0)
    # A wide context: with 300 tokens a hero story takes up to about 250 of them.
    return GPT(GPTConfig.preset("tiny", vocab_size=tokenizer.vocab_size, context_length=512)).eval()


@pytest.fixture(scope="module")
def stories():
    return hero_stories(12)


def test_hero_stories_skip_pretraining_documents():
    first = hero_stories(5)
    assert all(s.fields["story_type"] == "hero" for s in first) and first == hero_stories(5)
    pretraining = "\n".join(s.text for s in first[:2]) + "\n"
    without = hero_stories(5, pretraining_text=pretraining)
    assert [s.text for s in without[:3]] == [s.text for s in first[2:]]
    assert not {normalised(s.text) for s in without} & {normalised(s.text) for s in first[:2]}
    with pytest.raises(ValueError, match="positive int"):
        hero_stories(0)


def test_pronoun_pairs_cut_each_story_at_its_pronoun(stories):
    for story, pair in zip(stories, pronoun_pairs(stories), strict=True):
        assert (pair.prompt, pair.right) == pronoun_probe(story) and pair.wrong == PRONOUN_FLIP[pair.right]
    with pytest.raises(ValueError, match="hero story"):
        pronoun_pairs(TinyWorld(0).documents(1, "review"))


def test_right_probabilities_are_the_two_way_choice(model, tokenizer, stories):
    pairs = pronoun_pairs(stories)
    p = right_probabilities(model, tokenizer, pairs)
    margins = pair_margins(model, tokenizer, pairs)
    torch.testing.assert_close(p, torch.sigmoid(margins))
    assert ((p > 0.5) == (margins > 0)).all()


def test_items_locate_the_antecedent(tokenizer, stories):
    for story, item in zip(stories, look_back_items(tokenizer, stories), strict=True):
        assert tokenizer.decode(item.ids) == "\n" + pronoun_probe(story)[0]
        assert tokenizer.decode([item.ids[i] for i in item.target]).strip() == story.fields["antecedent"]
        assert item.target == list(range(item.target[0], item.target[-1] + 1))
        assert antecedent_distance(tokenizer, story) == len(item.ids) - item.target[0] >= 20


def test_support_items_locate_the_product_in_the_message(tokenizer):
    conversations = support_conversations(10)
    for conversation, item in zip(conversations, support_items(tokenizer, conversations), strict=True):
        product = conversation.fields["item"]
        prompt = product_prompt(conversation)
        assert (prompt + " " + product) in conversation.text and prompt.count(" agent : ") == 1
        assert tokenizer.decode(item.ids) == "\n" + prompt
        assert tokenizer.decode([item.ids[i] for i in item.target]).strip() == product
        assert item.target[-1] < len(tokenizer.encode("\n" + conversation.fields["message"]))  # in the message


def test_support_helpers_reject_bad_input():
    with pytest.raises(ValueError, match="positive int"):
        support_conversations(-1)
    account = next(d for d in TinyWorld(0).documents(40, "support") if d.fields["item"] is None)
    for not_naming_a_product in (account, hero_stories(1)[0]):
        with pytest.raises(ValueError, match="names the customer's product"):
            product_prompt(not_naming_a_product)


def test_look_back_attention_reads_the_traced_weights(model, tokenizer, stories):
    items = look_back_items(tokenizer, stories)
    measured = look_back_attention(model, items, batch_size=5)  # several batches of different widths
    n_layer, n_head = model.config.n_layer, model.config.n_head
    assert measured.on_target.shape == (n_layer, n_head, len(items))
    item = items[3]
    weights = model.trace(torch.tensor([item.ids])).attentions  # n_layer x (1, nh, T, T)
    for layer in range(n_layer):
        row = weights[layer][0, :, -1]  # (nh, T): where the last token looks
        torch.testing.assert_close(measured.on_target[layer, :, 3], row[:, item.target].sum(-1))
        assert measured.target_is_top[layer, :, 3].tolist() == [int(i) in item.target for i in row.argmax(-1)]
    assert measured.even_share[3] == pytest.approx(len(item.target) / len(item.ids))
    top = measured.top_heads(3)
    assert top[0] == divmod(int(measured.mean_on_target.argmax()), n_head)
    assert measured.mean_on_target[top[0]] >= measured.mean_on_target[top[1]] >= measured.mean_on_target[top[2]]
    with pytest.raises(ValueError, match="at least one"):
        look_back_attention(model, [])


def test_look_back_attention_rejects_items_longer_than_the_context(tokenizer, stories):
    short = GPT(GPTConfig.preset("tiny", vocab_size=tokenizer.vocab_size, context_length=16)).eval()
    with pytest.raises(ValueError, match="longer than the model's context"):
        look_back_attention(short, look_back_items(tokenizer, stories))


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


def test_stretched_pairs_push_the_antecedent_back_with_scenery_only(tokenizer, stories):
    far = max(antecedent_distance(tokenizer, story) for story in stories[:6]) + 10  # every story gets scenery
    pairs, distances = stretched_pairs(tokenizer, stories[:6], far)
    lexicon = Lexicon()
    people = {"she", "he", "his", "her", *lexicon.female_names, *lexicon.male_names}
    for story, pair, distance in zip(stories[:6], pairs, distances, strict=True):
        prompt, pronoun = pronoun_probe(story)
        assert pair.prompt.startswith(prompt + " ") and (pair.right, pair.wrong) == (pronoun, PRONOUN_FLIP[pronoun])
        assert not set(pair.prompt[len(prompt):].split()) & people
        ids = tokenizer.encode("\n" + pair.prompt)
        first = look_back_items(tokenizer, [story])[0].target[0]
        assert distance == len(ids) - first >= far
    unchanged, near = stretched_pairs(tokenizer, stories[:3], 0)
    assert [p.prompt for p in unchanged] == [pronoun_probe(s)[0] for s in stories[:3]]
    assert near == [antecedent_distance(tokenizer, s) for s in stories[:3]]
