"""Written-out attention equals torch's fused kernel, the causal mask holds, the KV cache and heads work."""

from types import SimpleNamespace

import pytest
import torch

import helpers.attention as attention
from helpers.attention import (
    CausalSelfAttention,
    KVCache,
    fused_scaled_dot_product_attention,
    scaled_dot_product_attention,
)


def qkv(batch=2, heads=3, t_query=7, t_key=7, head_size=8, seed=0):
    generator = torch.Generator().manual_seed(seed)
    q = torch.randn(batch, heads, t_query, head_size, generator=generator)
    k = torch.randn(batch, heads, t_key, head_size, generator=generator)
    v = torch.randn(batch, heads, t_key, head_size, generator=generator)
    return q, k, v


@pytest.mark.parametrize("causal", [True, False])
def test_written_out_equals_fused(causal):
    q, k, v = qkv()
    written, weights = scaled_dot_product_attention(q, k, v, causal=causal)
    fused = fused_scaled_dot_product_attention(q, k, v, causal=causal)
    assert written.shape == fused.shape == (2, 3, 7, 8)
    assert weights.shape == (2, 3, 7, 7)
    torch.testing.assert_close(written, fused, atol=1e-5, rtol=0)


def test_gradients_agree():
    grads = []
    for function in (scaled_dot_product_attention, fused_scaled_dot_product_attention):
        q, k, v = (t.requires_grad_() for t in qkv())
        out = function(q, k, v)
        out = out[0] if isinstance(out, tuple) else out
        (out * torch.linspace(-1, 1, out.numel()).view_as(out)).sum().backward()
        grads.append([q.grad, k.grad, v.grad])
    for written, fused in zip(*grads, strict=True):
        torch.testing.assert_close(written, fused, atol=1e-5, rtol=0)


@pytest.mark.parametrize("t_query", [1, 3])
def test_fewer_queries_than_keys_are_the_last_positions(t_query):
    """With a KV cache the queries are the newest positions; the causal mask must be offset."""
    q, k, v = qkv(t_query=7)
    full, _ = scaled_dot_product_attention(q, k, v)
    recent = q[:, :, -t_query:]
    written, _ = scaled_dot_product_attention(recent, k, v)
    fused = fused_scaled_dot_product_attention(recent, k, v)
    torch.testing.assert_close(written, full[:, :, -t_query:], atol=1e-5, rtol=0)
    torch.testing.assert_close(fused, full[:, :, -t_query:], atol=1e-5, rtol=0)


def test_weights_are_causal_rows_that_sum_to_one():
    q, k, v = qkv()
    _, weights = scaled_dot_product_attention(q, k, v)
    assert torch.all(weights.triu(diagonal=1) == 0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3, 7))
    # The first position can only see itself.
    assert torch.all(weights[..., 0, 0] == 1)


def test_scale_is_one_over_square_root_of_head_size():
    q, k, v = qkv(batch=1, heads=1, t_query=2, t_key=2, head_size=16)
    _, weights = scaled_dot_product_attention(q, k, v, causal=False)
    scores = (q @ k.transpose(-2, -1)) / 4.0
    torch.testing.assert_close(weights, torch.softmax(scores, dim=-1))


@pytest.mark.parametrize(
    "change, error",
    [
        (lambda q, k, v: (q[0], k, v), ValueError),  # 3-D query
        (lambda q, k, v: (q.long(), k, v), TypeError),  # integer query
        (lambda q, k, v: (q, k[..., :4], v), ValueError),  # head sizes differ
        (lambda q, k, v: (q, k, v[:, :, :5]), ValueError),  # key and value lengths differ
        (lambda q, k, v: (torch.cat([q, q], 2), k, v), ValueError),  # more queries than keys
    ],
)
@pytest.mark.parametrize("function", [scaled_dot_product_attention, fused_scaled_dot_product_attention])
def test_bad_inputs_say_what_to_change(function, change, error):
    q, k, v = change(*qkv())
    with pytest.raises(error, match="must|more queries"):
        function(q, k, v)


def config(**changes):
    values = dict(n_embd=32, n_head=4, dropout=0.0, bias=True, fused_attention=True)
    values.update(changes)
    return SimpleNamespace(**values)


def test_module_paths_agree_and_return_weights_on_request():
    torch.manual_seed(0)
    module = CausalSelfAttention(config())
    x = torch.randn(2, 9, 32)
    fast, none = module(x)
    slow, weights = module(x, return_weights=True)
    assert none is None
    assert weights.shape == (2, 4, 9, 9)
    torch.testing.assert_close(fast, slow, atol=1e-5, rtol=0)


def test_module_uses_written_out_path_when_not_fused(monkeypatch):
    torch.manual_seed(0)
    module = CausalSelfAttention(config(fused_attention=False))

    def refuse(*args, **kwargs):
        raise AssertionError("the fused kernel was used")

    monkeypatch.setattr(attention, "_fused_attention", refuse)
    output, weights = module(torch.randn(1, 5, 32))
    assert output.shape == (1, 5, 32) and weights is None


def test_module_is_causal():
    torch.manual_seed(0)
    module = CausalSelfAttention(config())
    x = torch.randn(1, 6, 32)
    changed = x.clone()
    changed[:, 4:] = torch.randn(1, 2, 32)
    torch.testing.assert_close(module(x)[0][:, :4], module(changed)[0][:, :4])
    assert not torch.allclose(module(x)[0][:, 4:], module(changed)[0][:, 4:])


def test_module_rejects_heads_that_do_not_divide_the_width():
    with pytest.raises(ValueError, match="divisible"):
        CausalSelfAttention(config(n_head=5))


def test_module_with_cache_matches_full_pass():
    torch.manual_seed(0)
    module = CausalSelfAttention(config(), layer_index=0)
    x = torch.randn(2, 8, 32)
    full, _ = module(x)
    cache = KVCache(n_layer=1, max_length=8)
    pieces = [module(x[:, start:end], cache=cache)[0] for start, end in [(0, 3), (3, 4), (4, 8)]]
    assert cache.length == 8
    torch.testing.assert_close(torch.cat(pieces, dim=1), full, atol=1e-5, rtol=0)


def test_each_layer_keeps_its_own_slot_and_length():
    cache = KVCache(n_layer=2, max_length=4)
    first, second = torch.ones(1, 2, 3, 8), 2 * torch.ones(1, 2, 3, 8)
    cache.update(0, first, first)
    assert cache.length == 0  # the second layer holds nothing yet
    keys, _ = cache.update(1, second, second)
    assert cache.length == 3 and torch.equal(keys, second)
    keys, _ = cache.update(0, first[:, :, :1], first[:, :, :1])
    assert keys.shape == (1, 2, 4, 8) and torch.equal(keys, torch.ones(1, 2, 4, 8))


def test_a_layer_without_an_index_cannot_use_a_cache():
    with pytest.raises(ValueError, match="layer_index"):
        CausalSelfAttention(config())(torch.randn(1, 2, 32), cache=KVCache(n_layer=1, max_length=4))


def test_cache_refuses_overflow_and_a_different_batch():
    cache = KVCache(n_layer=1, max_length=4)
    k = torch.zeros(1, 2, 3, 8)
    cache.update(0, k, k)
    with pytest.raises(ValueError, match="do not fit"):
        cache.update(0, k, k)
    with pytest.raises(ValueError, match="one cache per batch"):
        cache.update(0, torch.zeros(2, 2, 1, 8), torch.zeros(2, 2, 1, 8))
    with pytest.raises(ValueError, match="positive"):
        KVCache(n_layer=0, max_length=4)
