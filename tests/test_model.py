"""The GPT: configuration checks, GPT-2's parameter count, input checks, traces and the KV cache."""

import math

import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel

from helpers.attention import KVCache
from helpers.model import GPT, GPTConfig

VOCAB = 50



def tiny_model(seed=0, **overrides):
    torch.manual_seed(seed)
    values = dict(vocab_size=VOCAB, context_length=16)
    values.update(overrides)
    return GPT(GPTConfig.preset("tiny", **values)).eval()


def random_ids(batch=2, length=12, seed=0):
    return torch.randint(0, VOCAB, (batch, length), generator=torch.Generator().manual_seed(seed))


# ---------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    "name, shape",
    [
        ("gpt2", (12, 12, 768, 1024, 50257)),
        ("gpt2-medium", (24, 16, 1024, 1024, 50257)),
        ("gpt2-large", (36, 20, 1280, 1024, 50257)),
        ("gpt2-xl", (48, 25, 1600, 1024, 50257)),
    ],
)
def test_gpt2_presets_have_the_published_shapes(name, shape):
    config = GPTConfig.preset(name)
    assert (config.n_layer, config.n_head, config.n_embd, config.context_length, config.vocab_size) == shape


@pytest.mark.parametrize("name", ["tiny", "small"])
def test_cpu_presets_take_the_vocabulary_from_the_tokenizer(name):
    with pytest.raises(ValueError, match="vocab_size=tokenizer.vocab_size"):
        GPTConfig.preset(name)
    config = GPTConfig.preset(name, vocab_size=65, dropout=0.1)
    assert config.vocab_size == 65 and config.dropout == 0.1
    assert config.n_embd % config.n_head == 0


def test_preset_errors_name_the_choices():
    with pytest.raises(ValueError, match="gpt2"):
        GPTConfig.preset("gpt5")
    with pytest.raises(TypeError, match="n_heads"):
        GPTConfig.preset("gpt2", n_heads=4)


@pytest.mark.parametrize(
    "change, error, message",
    [
        (dict(n_head=5), ValueError, "divisible by n_head=5"),
        (dict(n_embd=0), ValueError, "n_embd must be at least 1"),
        (dict(n_layer=-1), ValueError, "n_layer must be at least 1"),
        (dict(vocab_size=0), ValueError, "vocab_size"),
        (dict(context_length=2.5), TypeError, "context_length must be an int"),
        (dict(n_layer=True), TypeError, "n_layer must be an int"),
        (dict(dropout=1.0), ValueError, r"dropout must be in \[0, 1\)"),
        (dict(dropout=-0.1), ValueError, "dropout"),
        (dict(dropout="0.1"), TypeError, "dropout"),
        (dict(bias=1), TypeError, "bias must be True or False"),
    ],
)
def test_bad_configurations_say_what_to_change(change, error, message):
    values = dict(vocab_size=10, context_length=8, n_layer=1, n_head=2, n_embd=8)
    values.update(change)
    with pytest.raises(error, match=message):
        GPTConfig(**values)


def test_gpt_needs_a_config():
    with pytest.raises(TypeError, match="GPTConfig"):
        GPT({"n_layer": 2})


# ---------------------------------------------------------------- parameters


def hf_num_parameters(**config) -> int:
    with torch.device("meta"):
        return GPT2LMHeadModel(GPT2Config(**config)).num_parameters()


def test_gpt2_has_124_439_808_parameters_like_transformers():
    with torch.device("meta"):  # shapes only, no memory and no time
        model = GPT(GPTConfig.preset("gpt2"))
    assert model.num_parameters() == 124_439_808
    assert model.num_parameters() == hf_num_parameters()
    assert model.num_parameters(exclude_position_embeddings=True) == 124_439_808 - 1024 * 768


@pytest.mark.parametrize("tie", [True, False])
def test_parameter_count_matches_transformers_on_other_shapes(tie):
    with torch.device("meta"):
        model = GPT(GPTConfig.preset("gpt2-medium", tie_weights=tie))
    assert model.num_parameters() == hf_num_parameters(
        n_layer=24, n_head=16, n_embd=1024, tie_word_embeddings=tie
    )


def test_tied_head_is_the_embedding():
    tied, untied = tiny_model(), tiny_model(tie_weights=False)
    assert tied.lm_head.weight is tied.wte.weight
    assert untied.lm_head.weight is not untied.wte.weight
    assert untied.num_parameters() - tied.num_parameters() == VOCAB * 64


def test_residual_projections_start_smaller():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=10, context_length=8, n_layer=8, n_head=4, n_embd=256))
    expected = 0.02 / math.sqrt(2 * 8)
    for block in model.h:
        assert block.attn.c_proj.weight.std().item() == pytest.approx(expected, rel=0.05)
        assert block.mlp.c_proj.weight.std().item() == pytest.approx(expected, rel=0.05)
        assert block.attn.c_attn.weight.std().item() == pytest.approx(0.02, rel=0.05)
        assert torch.all(block.attn.c_attn.bias == 0)


def test_same_seed_same_weights():
    a, b = tiny_model(seed=3), tiny_model(seed=3)
    for (name, pa), (_, pb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert torch.equal(pa, pb), name


# ---------------------------------------------------------------- forward and its input checks


def test_forward_gives_logits_for_every_position():
    model = tiny_model()
    ids = random_ids()
    assert model(ids).shape == (2, 12, VOCAB)
    torch.testing.assert_close(model(ids[0]), model(ids[:1])[0])  # unbatched in, unbatched out
    assert model(ids[0]).shape == (12, VOCAB)
    assert model(ids.int()).shape == (2, 12, VOCAB)


def test_forward_is_causal():
    model = tiny_model()
    ids = random_ids(batch=1)
    changed = ids.clone()
    changed[0, 8] = (changed[0, 8] + 1) % VOCAB
    torch.testing.assert_close(model(ids)[:, :8], model(changed)[:, :8])


@pytest.mark.parametrize(
    "ids, error, message",
    [
        ([[1, 2, 3]], TypeError, "torch tensor"),
        (torch.tensor([[1.0, 2.0]]), TypeError, "integers"),
        (torch.tensor([[True, False]]), TypeError, "integers"),
        (torch.zeros(1, 2, 3, dtype=torch.long), ValueError, "shape"),
        (torch.zeros(1, 0, dtype=torch.long), ValueError, "empty"),
        (torch.tensor([[1, 2, VOCAB]]), ValueError, f"token id {VOCAB} at \\(batch, position\\) \\(0, 2\\)"),
        (torch.tensor([[1, -1, 2]]), ValueError, "token id -1"),
        (torch.zeros(1, 17, dtype=torch.long), ValueError, "context of 16; keep the last 16"),
    ],
)
def test_bad_ids_say_what_to_change(ids, error, message):
    with pytest.raises(error, match=message):
        tiny_model()(ids)


def test_fused_and_written_out_models_agree():
    fused = tiny_model()
    written = tiny_model(fused_attention=False)
    written.load_state_dict(fused.state_dict())
    ids = random_ids()
    torch.testing.assert_close(fused(ids), written(ids), atol=1e-5, rtol=0)


def test_right_padding_does_not_change_real_positions():
    model = tiny_model()
    ids = random_ids(batch=1, length=6)
    padded = torch.cat([ids, torch.zeros(1, 3, dtype=torch.long)], dim=1)  # causal: the padding is never read
    torch.testing.assert_close(model(padded)[:, :6], model(ids), atol=1e-5, rtol=0)


def test_dropout_only_in_training_mode():
    model = tiny_model(dropout=0.5)
    ids = random_ids()
    torch.testing.assert_close(model(ids), model(ids))
    model.train()
    assert not torch.allclose(model(ids), model(ids))


def test_every_parameter_learns():
    model = tiny_model(tie_weights=False).train()
    ids = random_ids()
    loss = torch.nn.functional.cross_entropy(model(ids[:, :-1]).flatten(0, 1), ids[:, 1:].flatten())
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
    assert loss.item() == pytest.approx(math.log(VOCAB), rel=0.1)  # small init: close to uniform


# ---------------------------------------------------------------- trace


def test_trace_returns_every_layer_and_head():
    model = tiny_model()
    ids = random_ids()
    trace = model.trace(ids)
    config = model.config
    torch.testing.assert_close(trace.logits, model(ids))
    assert len(trace.attentions) == config.n_layer
    assert len(trace.hidden_states) == config.n_layer + 1
    for weights in trace.attentions:
        assert weights.shape == (2, config.n_head, 12, 12)
        assert torch.all(weights.triu(diagonal=1) == 0)
        torch.testing.assert_close(weights.sum(-1), torch.ones(2, config.n_head, 12))
    for hidden in trace.hidden_states:
        assert hidden.shape == (2, 12, config.n_embd)
    embeddings = model.wte(ids) + model.wpe(torch.arange(12))
    torch.testing.assert_close(trace.hidden_states[0], embeddings)
    torch.testing.assert_close(model.unembed(trace.hidden_states[-1]), trace.logits)
    assert not trace.logits.requires_grad


def test_trace_of_one_sequence_is_unbatched():
    model = tiny_model()
    trace = model.trace(random_ids()[0])
    assert trace.logits.shape == (12, VOCAB)
    assert trace.attentions[0].shape == (4, 12, 12)
    assert trace.hidden_states[0].shape == (12, 64)


# ---------------------------------------------------------------- KV cache


def test_cache_gives_the_same_logits_as_a_full_pass():
    model = tiny_model()
    ids = random_ids(length=16)
    full = model(ids)
    cache = KVCache(model.config.n_layer, model.config.context_length)
    pieces = [model(ids[:, :5], cache=cache)]
    pieces += [model(ids[:, t : t + 1], cache=cache) for t in range(5, 10)]
    pieces.append(model(ids[:, 10:], cache=cache))
    assert cache.length == 16
    torch.testing.assert_close(torch.cat(pieces, dim=1), full, atol=1e-5, rtol=0)


def test_cache_with_the_written_out_path_matches_too():
    model = tiny_model(fused_attention=False)
    ids = random_ids(batch=1, length=10)
    cache = KVCache(model.config.n_layer, model.config.context_length)
    pieces = [model(ids[:, :1], cache=cache)] + [model(ids[:, t : t + 1], cache=cache) for t in range(1, 10)]
    torch.testing.assert_close(torch.cat(pieces, dim=1), model(ids), atol=1e-5, rtol=0)


def test_full_cache_says_what_to_do():
    model = tiny_model()
    cache = KVCache(model.config.n_layer, model.config.context_length)
    model(random_ids(batch=1, length=16), cache=cache)
    with pytest.raises(ValueError, match="after 16 cached positions"):
        model(torch.tensor([[1]]), cache=cache)
    with pytest.raises(ValueError, match="KVCache"):
        model(torch.tensor([[1]]), cache=KVCache(5, 16))
