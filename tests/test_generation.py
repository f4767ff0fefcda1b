"""Sampling does what it promises; generation is seeded, bounded and the same with or without cache."""

import warnings
from types import SimpleNamespace

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.generation import generate, generate_ids, next_token_distribution, prompt_ids, reweight
from helpers.model import GPT, GPTConfig
from helpers.tokenizers import CharacterTokenizer

TEXT = "the cat sat on the mat. a dog ran to the cat.\n"
CONTEXT = 16



@pytest.fixture(scope="module")
def tokenizer():
    return CharacterTokenizer.train(TEXT)


@pytest.fixture(scope="module")
def model(tokenizer):
    torch.manual_seed(0)
    config = GPTConfig.preset("tiny", vocab_size=tokenizer.vocab_size, context_length=CONTEXT, n_embd=32)
    return GPT(config).eval()


# ---------------------------------------------------------------- reweight


def test_temperature_zero_is_greedy_with_ties_to_the_lowest_id():
    probabilities = reweight(torch.tensor([1.0, 3.0, 3.0, -2.0]), temperature=0)
    assert probabilities.tolist() == [0.0, 1.0, 0.0, 0.0]


def test_temperature_divides_the_logits():
    logits = torch.tensor([0.5, 1.0, -1.0, 2.0])
    for temperature in (0.5, 1.0, 3.0):
        torch.testing.assert_close(reweight(logits, temperature), torch.softmax(logits / temperature, -1))


def test_tiny_temperature_does_not_overflow():
    probabilities = reweight(torch.tensor([100.0, 99.0, -50.0]), temperature=1e-30)
    assert probabilities.tolist() == [1.0, 0.0, 0.0]


def test_top_k_ties_keep_the_lower_ids():
    probabilities = reweight(torch.tensor([2.0, 1.0, 2.0, 2.0, 0.0]), top_k=2)
    assert probabilities.tolist() == [0.5, 0.0, 0.5, 0.0, 0.0]


def test_top_k_larger_than_the_vocabulary_keeps_everything():
    logits = torch.tensor([0.1, 0.2, 0.3])
    torch.testing.assert_close(reweight(logits, top_k=1000), torch.softmax(logits, -1))


def test_top_p_keeps_the_smallest_prefix_reaching_p():
    logits = torch.log(torch.tensor([0.5, 0.3, 0.15, 0.05]))
    assert (reweight(logits, top_p=0.5) > 0).tolist() == [True, False, False, False]
    assert (reweight(logits, top_p=0.51) > 0).tolist() == [True, True, False, False]
    assert (reweight(logits, top_p=0.8) > 0).tolist() == [True, True, False, False]
    assert (reweight(logits, top_p=1.0) > 0).tolist() == [True, True, True, True]


def test_reweight_works_on_batches_of_logits():
    logits = torch.randn(3, 5, 11, generator=torch.Generator().manual_seed(0))
    probabilities = reweight(logits, temperature=0.7, top_k=4, top_p=0.9)
    assert probabilities.shape == (3, 5, 11)
    torch.testing.assert_close(probabilities.sum(-1), torch.ones(3, 5))
    assert torch.all((probabilities > 0).sum(-1) <= 4)


# Bad settings and bad logits are rows of tests/test_bad_inputs.py.


logit_vectors = st.lists(st.floats(-10, 10, allow_nan=False, width=32), min_size=1, max_size=40).map(
    torch.tensor
)


@settings(max_examples=200, deadline=None)
@given(
    logits=logit_vectors,
    temperature=st.one_of(st.just(0.0), st.floats(0.05, 5.0)),
    top_k=st.one_of(st.none(), st.integers(1, 50)),
    top_p=st.one_of(st.none(), st.floats(0.01, 1.0)),
)
def test_distributions_sum_to_one(logits, temperature, top_k, top_p):
    probabilities = reweight(logits, temperature, top_k, top_p)
    assert torch.all(probabilities >= 0)
    assert probabilities.sum().item() == pytest.approx(1.0, abs=1e-5)


@settings(max_examples=200, deadline=None)
@given(logits=logit_vectors, top_k=st.integers(1, 50))
def test_top_k_keeps_exactly_k_of_the_highest(logits, top_k):
    kept = reweight(logits, top_k=top_k) > 0
    assert kept.sum().item() == min(top_k, len(logits))
    # Nothing dropped is higher than something kept.
    if not kept.all():
        assert logits[kept].min() >= logits[~kept].max()


@settings(max_examples=200, deadline=None)
@given(logits=logit_vectors, top_p=st.floats(0.01, 1.0))
def test_top_p_keeps_the_smallest_set_with_mass_at_least_p(logits, top_p):
    original = torch.softmax(logits.double(), -1)
    kept = reweight(logits, top_p=top_p) > 0
    mass = original[kept].sum().item()
    assert mass >= top_p - 1e-6  # enough mass ...
    assert mass - original[kept].min().item() < top_p + 1e-6  # ... and not one token more than needed
    if not kept.all():
        assert original[kept].min() >= original[~kept].max()  # the most likely ones


# ---------------------------------------------------------------- next_token_distribution


def test_next_token_distribution_is_the_models_softmax(model, tokenizer):
    probabilities = next_token_distribution(model, tokenizer, "the cat")
    ids = torch.tensor([tokenizer.encode("the cat")])
    expected = torch.softmax(model(ids)[0, -1], -1)
    assert probabilities.shape == (tokenizer.vocab_size,)
    torch.testing.assert_close(probabilities, expected.detach())


def test_next_token_distribution_applies_the_settings_and_keeps_training_mode(model, tokenizer):
    model.train()
    try:
        probabilities = next_token_distribution(model, tokenizer, "a dog", temperature=0)
        assert model.training
    finally:
        model.eval()
    assert probabilities.max().item() == 1.0
    assert (next_token_distribution(model, tokenizer, "a dog", top_k=3) > 0).sum() == 3


def test_long_text_is_cropped_with_a_notice(model, tokenizer):
    text = TEXT * 3
    with pytest.warns(UserWarning, match=f"only the last {CONTEXT}"):
        cropped = next_token_distribution(model, tokenizer, text)
    last = TEXT * 3
    torch.testing.assert_close(cropped, next_token_distribution(model, tokenizer, last[-CONTEXT:]))


def test_empty_prompt_starts_from_end_of_text_or_is_refused(model, tokenizer):
    expected = torch.softmax(model(torch.tensor([[tokenizer.eot_id]]))[0, -1], -1).detach()
    torch.testing.assert_close(next_token_distribution(model, tokenizer, ""), expected)
    assert generate(model, tokenizer, "", 3, seed=0, stop_tokens=[tokenizer.eot_id]) != ""
    without_eot = CharacterTokenizer.train(TEXT, special_tokens=())
    assert without_eot.eot_id is None
    with pytest.raises(ValueError, match="no end-of-text token"):
        next_token_distribution(model, without_eot, "")
    with pytest.raises(ValueError, match="no end-of-text token"):
        generate(model, without_eot, "", 5)


class BigramModel(torch.nn.Module):
    """Chapter 1's kind of model: ids (B, T) -> logits (B, T, V), no attention and no cache."""

    def __init__(self, vocab_size):
        super().__init__()
        self.config = SimpleNamespace(vocab_size=vocab_size, context_length=8)
        self.table = torch.nn.Embedding(vocab_size, vocab_size)

    def forward(self, ids):
        assert ids.size(1) <= self.config.context_length
        return self.table(ids)


def test_models_without_a_cache_generate_too(tokenizer):
    torch.manual_seed(0)
    bigram = BigramModel(tokenizer.vocab_size)
    prompt = "the cat sat"  # longer than the bigram model's context of 8
    with pytest.warns(UserWarning, match="only the last 8"):
        ids = generate_ids(bigram, tokenizer.encode(prompt), 12, seed=1, use_cache=True)
    assert len(ids) == len(prompt) + 12
    with pytest.warns(UserWarning, match="only the last 8"):
        text = generate(bigram, tokenizer, prompt, 12, seed=1)
    assert text == prompt + tokenizer.decode(ids[len(prompt) :])
    expected = [1]
    for _ in range(5):
        expected.append(int(bigram.table.weight[expected[-1]].argmax()))
    assert generate_ids(bigram, [1], 5, temperature=0) == expected
    probabilities = next_token_distribution(bigram, tokenizer, "the")
    last = tokenizer.encode("e")[0]
    torch.testing.assert_close(probabilities, torch.softmax(bigram.table.weight[last], -1))


def test_empty_prompt_rule_is_public(tokenizer):
    assert prompt_ids(tokenizer, "") == [tokenizer.eot_id]
    assert prompt_ids(tokenizer, "cat") == tokenizer.encode("cat")


def test_something_else_than_a_model_is_refused(tokenizer):
    with pytest.raises(TypeError, match="helpers.model.GPT"):
        generate_ids(torch.nn.Linear(2, 2), [1, 2], 3)
    with pytest.raises(TypeError, match="helpers.model.GPT"):
        next_token_distribution("gpt2", tokenizer, "the")


def test_tokenizer_larger_than_the_model_is_refused(model, tokenizer):
    bigger = CharacterTokenizer.train(TEXT + "XYZ!?")
    with pytest.raises(ValueError, match="tokenizer has"):
        next_token_distribution(model, bigger, "the")
    with pytest.raises(TypeError, match="str"):
        next_token_distribution(model, tokenizer, [1, 2])


# ---------------------------------------------------------------- generation


def test_same_seed_same_text_whatever_ran_before(model, tokenizer):
    first = generate(model, tokenizer, "the ", 20, seed=7)
    torch.manual_seed(123)  # global state must not matter
    torch.rand(10)
    assert generate(model, tokenizer, "the ", 20, seed=7) == first
    assert first.startswith("the ")
    assert generate(model, tokenizer, "the ", 20, seed=8) != first


def test_seed_none_follows_the_global_generator(model, tokenizer):
    torch.manual_seed(5)
    first = generate(model, tokenizer, "the ", 10)
    torch.manual_seed(5)
    assert generate(model, tokenizer, "the ", 10) == first


def test_greedy_matches_a_manual_argmax_loop(model, tokenizer):
    ids = tokenizer.encode("a dog ")
    expected = list(ids)
    for _ in range(8):
        expected.append(int(model(torch.tensor([expected]))[0, -1].argmax()))
    assert generate_ids(model, ids, 8, temperature=0) == expected


@pytest.mark.parametrize("prompt_length, new", [(4, 8), (10, 30), (CONTEXT, 5), (CONTEXT + 7, 12)])
@pytest.mark.parametrize("sampling", [dict(temperature=0), dict(temperature=1.0, seed=3, top_k=5)])
def test_cache_gives_the_same_tokens_even_past_the_context(model, prompt_length, new, sampling):
    ids = list(
        torch.randint(
            0, model.config.vocab_size, (prompt_length,), generator=torch.Generator().manual_seed(1)
        )
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cached = generate_ids(model, ids, new, use_cache=True, **sampling)
        recomputed = generate_ids(model, ids, new, use_cache=False, **sampling)
    assert cached == recomputed
    assert len(cached) == prompt_length + new


def test_stop_tokens_end_generation_and_are_not_returned(model, tokenizer):
    ids = tokenizer.encode("the cat")
    greedy = generate_ids(model, ids, 10, temperature=0)
    stop = greedy[len(ids) + 3]
    stopped = generate_ids(model, ids, 10, temperature=0, stop_tokens=[stop])
    first = greedy.index(stop, len(ids))
    assert stopped == greedy[:first]


def test_zero_new_tokens_returns_the_prompt(model, tokenizer):
    assert generate(model, tokenizer, "the mat", 0) == "the mat"
    assert generate_ids(model, torch.tensor([1, 2, 3]), 0) == [1, 2, 3]


def test_long_prompt_is_cropped_with_a_notice_and_kept_in_the_result(model, tokenizer):
    prompt = TEXT
    with pytest.warns(UserWarning, match="prompt has"):
        text = generate(model, tokenizer, prompt, 5, seed=0)
    assert text.startswith(prompt) and len(text) == len(prompt) + 5


@pytest.mark.parametrize(
    "ids, max_new_tokens, extra, error, message",
    [
        ([], 5, {}, ValueError, "empty"),
        ([1, 2], -1, {}, ValueError, "max_new_tokens"),
        ([1, 2], 2.5, {}, ValueError, "max_new_tokens"),
        ([1, 2], 5, dict(seed=-3), ValueError, "seed"),
        ([1, 2], 5, dict(top_p=2.0), ValueError, "top_p"),
        ([1, 2], 5, dict(temperature=-1), ValueError, "temperature"),
        (torch.tensor([[[1, 2]]]), 5, {}, ValueError, "one sequence"),
        ([[1, 2], [3]], 5, {}, ValueError, "same length"),
        ([1, 10_000], 5, {}, ValueError, "token id 10000"),
        ([1, 2], 5, dict(stop_tokens="<|endoftext|>"), TypeError, "stop_tokens"),
        ([1, 2], 5, dict(stop_tokens=[None]), TypeError, "stop_tokens"),
    ],
)
def test_bad_generation_arguments_say_what_to_change(model, ids, max_new_tokens, extra, error, message):
    with pytest.raises(error, match=message):
        generate_ids(model, ids, max_new_tokens, **extra)


class CountingModel(torch.nn.Module):
    """Wraps the model and records the longest input it was given, cache included."""

    def __init__(self, model):
        super().__init__()
        self.inner = model
        self.config = model.config
        self.longest = 0

    def forward(self, ids, cache=None, last_only=False):
        past = cache.length if cache is not None else 0
        self.longest = max(self.longest, past + ids.size(1))
        return self.inner(ids, cache=cache, last_only=last_only)


@settings(max_examples=25, deadline=None)
@given(
    prompt_length=st.integers(1, 2 * CONTEXT),
    max_new_tokens=st.integers(0, 2 * CONTEXT),
    use_cache=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_generation_never_exceeds_the_context_or_the_requested_length(
    model, prompt_length, max_new_tokens, use_cache, seed
):
    counting = CountingModel(model)
    ids = [i % model.config.vocab_size for i in range(prompt_length)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = generate_ids(counting, ids, max_new_tokens, seed=seed, use_cache=use_cache)
    assert out[:prompt_length] == ids
    assert len(out) == prompt_length + max_new_tokens
    assert counting.longest <= CONTEXT


def test_a_batch_continues_every_prompt_and_each_row_stops_on_its_own(model):
    prompts = [[1, 2, 3], [4, 5, 6]]
    greedy = [generate_ids(model, prompt, 8, temperature=0) for prompt in prompts]
    assert generate_ids(model, prompts, 8, temperature=0) == greedy
    assert generate_ids(model, torch.tensor(prompts), 8, temperature=0) == greedy
    stop = greedy[0][3]  # the first row's first new token

    def up_to_stop(row):
        return row[: next((i for i in range(3, len(row)) if row[i] == stop), len(row))]

    stopped = generate_ids(model, prompts, 8, temperature=0, stop_tokens=[stop])
    assert stopped == [up_to_stop(row) for row in greedy] and stopped[0] == prompts[0]


def test_a_logits_hook_changes_what_is_sampled(model):
    favour = 7
    def always_seven(ids, logits):
        assert ids.dim() == 2 and logits.shape == (ids.size(0), model.config.vocab_size)
        return logits.index_fill(-1, torch.tensor([favour]), 1e4)
    assert generate_ids(model, [1, 2], 6, seed=0, adjust_logits=always_seven)[2:] == [favour] * 6


def test_generation_leaves_the_models_layers_as_they_were(model):
    def fail(ids, logits):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        generate_ids(model, [1, 2], 3, adjust_logits=fail)
    generate_ids(model, [1, 2], 3)
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert linears and all("forward" not in vars(m) for m in linears)  # nn.Linear.forward again, weights untouched

