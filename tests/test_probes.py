"""Tests of helpers.probes: a pair's margin is the model's real log-probability difference, and accuracy follows
what the model prefers."""

import pytest
import torch
from torch import nn

from helpers.experiments.attention_probes import hero_stories, pronoun_pairs
from helpers.model import GPT, GPTConfig
from helpers.probes import MinimalPair, accuracy, pair_margins
from helpers.scoring import continuation_log_probs
from helpers.tinyworld2 import TinyWorld
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
    stories = hero_stories(40)
    is_she = torch.tensor([s.fields["pronoun"] == "she" for s in stories])
    assert 0 < is_she.sum() < len(stories)  # both pronouns occur, so a constant answer cannot score 100%
    she = tokenizer.encode(" she")
    assert len(she) == 1
    says_she = Prefers(she[0], tokenizer.vocab_size)
    pairs = pronoun_pairs(stories)
    assert accuracy(says_she, tokenizer, pairs) == pytest.approx(is_she.float().mean().item())
    assert ((pair_margins(says_she, tokenizer, pairs) > 0) == is_she).all()


def test_margins_are_the_difference_of_the_two_log_probabilities(model, tokenizer):
    pairs = [MinimalPair("the cat near the dogs", "is", "are"), MinimalPair("emma waves . then", "she", "he")]
    right = continuation_log_probs(model, tokenizer, [p.prompt for p in pairs], [" " + p.right for p in pairs])
    wrong = continuation_log_probs(model, tokenizer, [p.prompt for p in pairs], [" " + p.wrong for p in pairs])
    assert torch.allclose(pair_margins(model, tokenizer, pairs), right - wrong, atol=1e-5)
    flipped = [MinimalPair(p.prompt, p.wrong, p.right) for p in pairs]
    assert torch.allclose(pair_margins(model, tokenizer, flipped), wrong - right, atol=1e-5)
    assert accuracy(model, tokenizer, pairs) + accuracy(model, tokenizer, flipped) == pytest.approx(1.0)


def test_bad_input_says_what_to_change(model, tokenizer):
    with pytest.raises(ValueError, match="one word"):
        accuracy(model, tokenizer, [MinimalPair("the cat", "sat on", "sat")])
    with pytest.raises(ValueError, match="max_prompt_tokens"):
        accuracy(model, tokenizer, [MinimalPair("the cat", "sat", "is")], max_prompt_tokens=0)
    with pytest.raises(ValueError, match="at least one"):
        accuracy(model, tokenizer, [])
    with pytest.raises(ValueError, match="hero story"):
        pronoun_pairs(TinyWorld(0).documents(1, "review"))
