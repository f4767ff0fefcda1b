"""helpers.scoring: the scores are the model's own log-probabilities, read once per distinct input, with gradients."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from helpers.experiments.attention_probes import hero_stories, pronoun_pairs
from helpers.model import GPT, GPTConfig
from helpers.scoring import (
    continuation_log_probs,
    continuation_scores,
    encode_continuations,
    nats_per_character,
    token_scores,
)
from helpers.tinyworld2 import TinyWorld
from helpers.tokenizers import BPETokenizer, CharacterTokenizer, WordTokenizer


@pytest.fixture(scope="module")
def tokenizer():
    return BPETokenizer.train(TinyWorld(0).corpus_text(300), 400)


@pytest.fixture(scope="module")
def model(tokenizer):
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=tokenizer.vocab_size, context_length=48, n_layer=1, n_head=2, n_embd=16)).eval()


def manual_log_prob(model, tokenizer, prompt, continuation, after="\n"):
    ids = tokenizer.encode(after + prompt) + tokenizer.encode(continuation)
    n = len(tokenizer.encode(continuation))
    with torch.no_grad():
        log_probs = F.log_softmax(model(torch.tensor([ids[:-1]]))[0], dim=-1)  # (T, V)
    return sum(float(log_probs[len(ids) - 1 - n + i, ids[len(ids) - n + i]]) for i in range(n))


def test_scores_are_the_models_log_probabilities(model, tokenizer):
    prompts = ["the cat near the dogs", "the cat near the dogs", "alice is reading", "the doctor said that",
               "the cat near the dogs"]
    continuations = [" is", " are", " a", " hairdresser", " hairdresser"]
    assert len(tokenizer.encode(" hairdresser")) > 1  # several tokens next to one-token continuations
    scores = continuation_log_probs(model, tokenizer, prompts, continuations)
    assert scores.shape == (5,)
    for score, prompt, continuation in zip(scores, prompts, continuations, strict=True):
        assert score.item() == pytest.approx(manual_log_prob(model, tokenizer, prompt, continuation), abs=1e-4)
    assert (scores < 0).all()


def test_continuations_of_several_tokens_sum_their_tokens():
    characters = CharacterTokenizer.train(TinyWorld(0).corpus_text(200))
    torch.manual_seed(0)
    char_model = GPT(GPTConfig(vocab_size=characters.vocab_size, context_length=64, n_layer=1, n_head=1, n_embd=8))
    score = continuation_log_probs(char_model, characters, ["it was"], [" good ."], after="")[0]
    assert score.item() == pytest.approx(manual_log_prob(char_model, characters, "it was", " good .", ""), abs=1e-4)


def test_batching_and_padding_do_not_change_scores(model, tokenizer):
    pairs = pronoun_pairs(hero_stories(6))
    prompts, continuations = [p.prompt for p in pairs] + ["the fox"], [" " + p.right for p in pairs] + [" likes"]
    one_by_one = continuation_log_probs(model, tokenizer, prompts, continuations, batch_size=1)
    together = continuation_log_probs(model, tokenizer, prompts, continuations, batch_size=64)
    assert torch.allclose(one_by_one, together, atol=1e-5)


class CountingModel(nn.Module):
    """Wraps a model and counts the sequences it is given."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model, self.config, self.rows_read = model, model.config, 0

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        self.rows_read += ids.size(0)
        return self.model(ids)


def test_what_the_model_would_read_twice_is_read_once(model, tokenizer):
    counting = CountingModel(model)
    words = [" is", " the", " was", " she", " he"]
    assert all(len(tokenizer.encode(word)) == 1 for word in words)
    scores = continuation_log_probs(counting, tokenizer, ["the cat near the dogs"] * len(words), words)
    assert counting.rows_read == 1  # one prompt, one-token continuations: one sequence
    alone = [continuation_log_probs(model, tokenizer, ["the cat near the dogs"], [w])[0].item() for w in words]
    assert scores.tolist() == pytest.approx(alone, abs=1e-5)


def test_long_prompts_keep_their_last_tokens(model, tokenizer):
    long_prompt = " ".join(["the cat sat on the mat ."] * 30)
    assert len(tokenizer.encode(long_prompt)) > model.config.context_length
    full = continuation_log_probs(model, tokenizer, [long_prompt], [" the"])
    tail = tokenizer.decode(tokenizer.encode("\n" + long_prompt)[-(model.config.context_length):])
    from_tail = continuation_log_probs(model, tokenizer, [tail], [" the"], after="")
    assert full[0].item() == pytest.approx(from_tail[0].item(), abs=1e-4)
    short = continuation_log_probs(model, tokenizer, [long_prompt], [" the"], max_prompt_tokens=3)
    assert short[0].item() != pytest.approx(full[0].item(), abs=1e-6)
    with pytest.raises(ValueError, match="max_prompt_tokens"):
        continuation_log_probs(model, tokenizer, ["the cat"], [" sat"], max_prompt_tokens=0)


class LookupModel(nn.Module):
    """A model that predicts, at every position, a fixed next token for each current token (a bigram table)."""

    def __init__(self, vocab_size: int, table: dict[int, int]):
        super().__init__()
        self.config = GPTConfig(vocab_size=vocab_size, context_length=64, n_layer=1, n_head=1, n_embd=4)
        self.logits = nn.Parameter(torch.zeros(vocab_size, vocab_size))
        with torch.no_grad():
            for current, following in table.items():
                self.logits[current, following] = 5.0

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.logits[ids]  # (B, T, V)


def test_exact_match_and_log_probability_on_a_model_with_known_answers():
    words = WordTokenizer.train("alice : she . bob : he .\nenglish : the dog . tiny : vapo na .\n")
    ids = {word: words.encode(word)[0] for word in ("alice", ":", "she", "he", ".", "vapo", "na", "tiny")}
    # after ":" the model says "she"; after "vapo" it says "na"; nothing else is preferred
    lookup = LookupModel(words.vocab_size, {ids[":"]: ids["she"], ids["vapo"]: ids["na"]})
    scores = continuation_scores(lookup, words, ["alice :", "alice :", "tiny :"], [" she", " he", " vapo na"], after="")
    assert scores.lengths == [1, 1, 2] and scores.per_continuation(scores.token_ids)[2].tolist() == [ids["vapo"],
                                                                                                     ids["na"]]
    assert scores.exact.tolist() == [True, False, False]  # " vapo" is not the top choice after ":"
    assert scores.per_continuation(scores.token_correct)[2].tolist() == [False, True]  # ... but "na" is, after "vapo"
    top = math.log(math.exp(5) / (math.exp(5) + words.vocab_size - 1))
    other = math.log(1 / (math.exp(5) + words.vocab_size - 1))
    assert scores.log_prob.tolist()[:2] == pytest.approx([top, other], abs=1e-5)


def test_gradients_flow_through_the_core_for_training(model, tokenizer):
    contexts, ids = encode_continuations(tokenizer, ["it was", "it was"], [" good .", " bad ."],
                                         context_length=model.config.context_length)
    log_prob = token_scores(model, contexts, ids).log_prob  # (2,)
    log_prob.sum().backward()
    assert model.wte.weight.grad is not None and model.wte.weight.grad.abs().sum() > 0
    model.zero_grad(set_to_none=True)


def test_bad_requests_say_what_to_change(model, tokenizer):
    with pytest.raises(ValueError, match="one continuation per prompt"):
        continuation_log_probs(model, tokenizer, ["alice :"], [])
    with pytest.raises(ValueError, match="must add tokens"):
        continuation_log_probs(model, tokenizer, ["alice :"], [""])
    with pytest.raises(ValueError, match="must fit the context"):
        continuation_log_probs(model, tokenizer, ["alice"], [" the" * 60])


def uniform_model(context_length: int, vocab_size: int) -> GPT:
    model = GPT(GPTConfig(vocab_size=vocab_size, context_length=context_length, n_layer=1, n_head=1, n_embd=8))
    with torch.no_grad():
        model.wte.weight.zero_()  # tied head: every logit is 0, every token costs log(vocab_size)
    return model


@pytest.mark.parametrize("context_length", [4, 7, 64])
def test_nats_per_character_counts_every_token_exactly_once(context_length):
    text = TinyWorld(1).corpus_text(3)
    tokenizer = BPETokenizer.train(text, 280)
    n_tokens = len(tokenizer.encode(text))
    model = uniform_model(context_length, tokenizer.vocab_size)
    expected = n_tokens * math.log(tokenizer.vocab_size) / len(text)
    assert nats_per_character(model, tokenizer, text, batch_size=3) == pytest.approx(expected, rel=1e-6)
    assert nats_per_character(model, tokenizer, text, after="") == pytest.approx(
        (n_tokens - 1) * math.log(tokenizer.vocab_size) / len(text), rel=1e-6)  # the first token unscored


def test_nats_per_character_matches_a_single_pass_when_the_text_fits():
    text = TinyWorld(2).corpus_text(2)
    tokenizer = BPETokenizer.train(text, 280)
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=tokenizer.vocab_size, context_length=256, n_layer=1, n_head=2, n_embd=16))
    ids = torch.tensor(tokenizer.encode("\n" + text))
    assert len(ids) <= 257  # the text fits in one window
    with torch.no_grad():
        losses = torch.nn.functional.cross_entropy(model(ids[None, :-1])[0], ids[1:], reduction="sum")
    assert nats_per_character(model, tokenizer, text) == pytest.approx(losses.item() / len(text), rel=1e-5)
    with pytest.raises(ValueError, match="non-empty"):
        nats_per_character(model, tokenizer, "")
