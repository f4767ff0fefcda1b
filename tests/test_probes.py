"""Tests of helpers.probes: the scores are the model's real log-probabilities, the pairs are TinyWorld's truth."""

import pytest
import torch
from torch import nn

from helpers.model import GPT, GPTConfig
from helpers.probes import (
    MinimalPair,
    accuracy,
    agreement_pairs,
    pair_margins,
    phenomenon_pairs,
    probe_accuracies,
    pronoun_accuracy,
    pronoun_pairs,
    pronoun_stories,
    review_pairs,
    sentiment_accuracy,
    sentiment_pairs,
)
from helpers.tinyworld import TinyWorld
from helpers.tokenizers import BPETokenizer


@pytest.fixture(scope="module")
def tokenizer():
    return BPETokenizer.train(TinyWorld(0).corpus_text(300), 400)


@pytest.fixture(scope="module")
def model(tokenizer):
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=tokenizer.vocab_size, context_length=48, n_layer=1, n_head=2, n_embd=16)).eval()


class Prefers(nn.Module):
    """A stand-in model that gives one token id a much higher logit at every position."""

    def __init__(self, token_id: int, vocab_size: int, context_length: int = 256):
        super().__init__()
        self.config = GPTConfig(vocab_size=vocab_size, context_length=context_length, n_layer=1, n_head=1, n_embd=4)
        self.token_id = token_id
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, ids):
        logits = torch.zeros(*ids.shape, self.config.vocab_size)  # (B, T, V)
        logits[..., self.token_id] = 10.0
        return logits


def test_accuracy_follows_what_the_model_prefers(tokenizer):
    stories = pronoun_stories(40)
    share_she = sum(s.fields["pronoun"] == "she" for s in stories) / len(stories)
    she = tokenizer.encode(" she")
    assert len(she) == 1
    says_she = Prefers(she[0], tokenizer.vocab_size)
    assert pronoun_accuracy(says_she, tokenizer, stories) == pytest.approx(share_she)
    margins = pair_margins(says_she, tokenizer, pronoun_pairs(stories))
    assert ((margins > 0) == torch.tensor([s.fields["pronoun"] == "she" for s in stories])).all()


def test_pairs_hold_tinyworlds_truth():
    world = TinyWorld(0)
    stories = pronoun_stories(20)
    for story, pair in zip(stories, pronoun_pairs(stories), strict=True):
        assert {pair.right, pair.wrong} == {"she", "he"}
        rest = story.text[len(pair.prompt) + 1 + len(pair.right) :]
        assert story.text == pair.prompt + " " + pair.right + rest and world.is_valid(story.text)
        assert not world.is_valid(pair.prompt + " " + pair.wrong + rest)
    for pair in agreement_pairs(20):
        assert pair.right != pair.wrong
    negated = sentiment_pairs(20, negation=True)
    assert all(" not " in p.prompt and p.prompt.endswith("response :") for p in negated)
    assert {p.right for p in negated} == {"positive", "negative"}
    for pair in negated:
        assert world.is_valid(pair.prompt + " " + pair.right + " .")
        assert not world.is_valid(pair.prompt + " " + pair.wrong + " .")
    assert all(" not " not in p.prompt for p in sentiment_pairs(20, negation=False))
    for negation in (True, False):
        reviews = review_pairs(20, negation=negation)
        assert len(reviews) == 20 and {p.right for p in reviews} == {"good", "bad"}
        for pair in reviews:
            assert (" it was not " in pair.prompt) == negation and pair.prompt.endswith(" was")
            assert world.is_valid(pair.prompt + " " + pair.right + " .")
            assert not world.is_valid(pair.prompt + " " + pair.wrong + " .")


def test_probe_sets_are_seeded_and_complete(model, tokenizer):
    first, second = phenomenon_pairs(10), phenomenon_pairs(10)
    assert first == second
    assert set(first) == {"agreement", "pronoun", "sentiment (plain)", "sentiment (negated)", "label (plain)",
                          "label (negated)"}
    scores = probe_accuracies(model, tokenizer, first)
    assert set(scores) == set(first) and all(0.0 <= v <= 1.0 for v in scores.values())
    assert scores == probe_accuracies(model, tokenizer, second)
    assert sentiment_accuracy(model, tokenizer, 10) == scores["sentiment (negated)"]


def test_bad_input_says_what_to_change(model, tokenizer):
    with pytest.raises(ValueError, match="one word"):
        accuracy(model, tokenizer, [MinimalPair("the cat", "sat on", "sat")])
    with pytest.raises(ValueError, match="max_prompt_tokens"):
        accuracy(model, tokenizer, [MinimalPair("the cat", "sat", "is")], max_prompt_tokens=0)
    with pytest.raises(ValueError, match="at least one"):
        accuracy(model, tokenizer, [])
    with pytest.raises(ValueError, match="pronoun story"):
        pronoun_pairs(TinyWorld(0).documents(1, "review"))
