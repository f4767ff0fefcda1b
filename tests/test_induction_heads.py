"""helpers.experiments.induction_heads: the repeated-block task, the head scores on hand-made patterns, the model."""

import math

import pytest
import torch

from helpers.experiments.induction_heads import (
    SYMBOLS,
    AttentionOnlyTransformer,
    InductionRun,
    RepeatedBlocks,
    induction_scores,
    induction_targets,
    measure_heads,
    previous_token_scores,
    repeat_loss,
    repeated_blocks,
    symbol_tokenizer,
    train_induction_model,
)
from helpers.model import GPT, GPTConfig


def one_hot_pattern(targets: list[int]) -> torch.Tensor:
    """(1, 1, T, T) attention in which query t puts all its weight on key targets[t]."""
    size = len(targets)
    pattern = torch.zeros(1, 1, size, size)
    for query, key in enumerate(targets):
        pattern[0, 0, query, key] = 1.0
    return pattern


def uniform_causal_pattern(size: int) -> torch.Tensor:
    """(1, 1, T, T) attention that spreads each query evenly over itself and every earlier key."""
    pattern = torch.ones(size, size).tril()
    return (pattern / pattern.sum(dim=-1, keepdim=True))[None, None]


def test_repeated_blocks_repeat_a_block_of_distinct_symbols_with_its_period():
    sequences, periods = repeated_blocks(50, 40, seed=3)
    assert sequences.shape == (50, 40) and periods.shape == (50,)
    assert periods.min() >= 4 and periods.max() <= 24
    assert sequences.min() >= 0 and sequences.max() < len(SYMBOLS)
    for sequence, period in zip(sequences, periods.tolist(), strict=True):
        assert len(set(sequence[:period].tolist())) == period  # distinct within the block
        assert torch.equal(sequence[period:], sequence[:-period])  # every token repeats the one a period back


def test_repeated_blocks_are_seeded_and_a_fixed_period_stays_fixed():
    first, _ = repeated_blocks(8, 30, seed=1)
    again, _ = repeated_blocks(8, 30, seed=1)
    other, _ = repeated_blocks(8, 30, seed=2)
    assert torch.equal(first, again) and not torch.equal(first, other)
    _, periods = repeated_blocks(20, 30, periods=(12, 12))
    assert periods.tolist() == [12] * 20


@pytest.mark.parametrize("periods", [(1, 5), (6, 5), (4, 70)])
def test_repeated_blocks_reject_impossible_periods(periods):
    with pytest.raises(ValueError, match="periods"):
        repeated_blocks(4, 30, periods=periods)


def test_dataset_pairs_inputs_with_targets_shifted_by_one():
    data = RepeatedBlocks(5, 16, seed=0)
    inputs, targets = data[2]
    assert len(data) == 5 and inputs.shape == targets.shape == (16,)
    assert torch.equal(inputs[1:], targets[:-1])


def test_symbol_tokenizer_gives_the_symbols_the_first_ids():
    tokenizer = symbol_tokenizer()
    assert tokenizer.vocab_size == len(SYMBOLS) + 2
    assert tokenizer.encode(SYMBOLS) == list(range(len(SYMBOLS)))


def test_previous_token_score_is_one_for_a_previous_token_head_and_small_for_uniform_attention():
    tokens = torch.arange(10)[None]  # (1, T)
    previous = one_hot_pattern([0] + list(range(9)))
    assert previous_token_scores(previous, tokens).item() == pytest.approx(1.0)
    uniform = previous_token_scores(uniform_causal_pattern(10), tokens).item()
    assert uniform == pytest.approx(sum(1 / (t + 1) for t in range(1, 10)) / 9)


def test_induction_targets_mark_the_tokens_after_earlier_copies():
    tokens = torch.tensor([[5, 7, 5, 7, 9]])  # a b a b c
    targets = induction_targets(tokens)[0]
    assert targets[2].nonzero().flatten().tolist() == [1]  # the second "a" looks at what followed the first
    assert targets[3].nonzero().flatten().tolist() == [2]  # the second "b" too
    assert not targets[4].any() and not targets[0].any()  # "c" and the first "a" have no earlier copy


def test_induction_score_is_one_for_an_induction_head_and_zero_for_a_previous_token_head():
    period = 5
    tokens = repeated_blocks(1, 20, periods=(period, period), seed=4)[0]  # (1, T)
    induction = one_hot_pattern([t if t < period else t - period + 1 for t in range(20)])
    previous = one_hot_pattern([0] + list(range(19)))
    assert induction_scores(induction, tokens).item() == pytest.approx(1.0)
    assert induction_scores(previous, tokens).item() == pytest.approx(0.0)
    both = torch.cat([induction, previous], dim=1)  # (1, 2 heads, T, T): one score per head
    assert induction_scores(both, tokens).tolist() == pytest.approx([1.0, 0.0])


def test_induction_score_needs_a_repeat_and_matching_shapes():
    with pytest.raises(ValueError, match="repeat"):
        induction_scores(uniform_causal_pattern(6), torch.arange(6)[None])
    with pytest.raises(ValueError, match="tokens must be"):
        previous_token_scores(uniform_causal_pattern(6), torch.arange(5)[None])


def test_repeat_loss_counts_only_the_positions_after_the_first_block():
    sequences, periods = repeated_blocks(3, 21, seed=0)  # (B, T + 1)
    targets = sequences[:, 1:]  # (B, T)
    perfect = torch.nn.functional.one_hot(targets, 64).float() * 50.0  # (B, T, V): certain of every target
    assert repeat_loss(perfect, sequences, periods) < 1e-6
    confused = perfect.clone()
    confused[:, 0] = 0.0  # uniform at the first position, which lies in the first block: not counted
    assert repeat_loss(confused, sequences, periods) < 1e-6
    assert repeat_loss(torch.zeros(3, 20, 64), sequences, periods) == pytest.approx(math.log(64), rel=1e-5)


def test_attention_only_transformer_has_no_mlp_and_returns_causal_patterns():
    config = GPTConfig(vocab_size=64, context_length=16, n_layer=2, n_head=2, n_embd=32)
    model = AttentionOnlyTransformer(config)
    ids = torch.randint(0, 64, (3, 10))
    assert model(ids).shape == (3, 10, 64)
    trace = model.trace(ids)
    assert len(trace.attentions) == 2 and trace.attentions[0].shape == (3, 2, 10, 10)
    assert torch.allclose(trace.attentions[1].sum(-1), torch.ones(3, 2, 10))
    assert torch.all(trace.attentions[0].triu(diagonal=1) == 0)
    assert torch.allclose(trace.logits, model(ids), atol=1e-5)
    assert not any("mlp" in name for name, _ in model.named_parameters())
    with pytest.raises(ValueError, match="at most 16"):
        model(torch.zeros(1, 17, dtype=torch.long))
    with pytest.raises(TypeError):
        AttentionOnlyTransformer({"n_layer": 2})


def test_a_short_run_records_scores_of_every_head_at_every_evaluation():
    run = train_induction_model(2, context_length=16, n_embd=16, max_steps=10, batch_size=4, eval_every=5,
                                probe_sequences=4, progress=False)
    assert run.step == [0, 5, 10]
    assert run.scores("induction").shape == (3, 2, 2) and run.scores("previous_token").shape == (3, 2, 2)
    again = train_induction_model(2, context_length=16, n_embd=16, max_steps=10, batch_size=4, eval_every=5,
                                  probe_sequences=4, progress=False)
    assert again.repeat_loss == run.repeat_loss  # seeded
    with pytest.raises(ValueError):
        run.scores("copying")


def test_measure_heads_on_a_fresh_model_sees_no_induction():
    config = GPTConfig(vocab_size=64, context_length=24, n_layer=2, n_head=2, n_embd=32)
    torch.manual_seed(0)
    sequences, periods = repeated_blocks(16, 25, seed=0)
    loss, repeats, previous, induction = measure_heads(AttentionOnlyTransformer(config), sequences, periods)
    assert loss == pytest.approx(math.log(64), abs=0.1) and repeats == pytest.approx(math.log(64), abs=0.1)
    assert previous.shape == induction.shape == (2, 2) and induction.max() < 0.3


def test_measure_heads_reads_a_gpt_as_well():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=64, context_length=32, n_layer=3, n_head=2, n_embd=32))
    sequences, periods = repeated_blocks(4, 25, seed=1)
    _, _, previous, induction = measure_heads(model, sequences, periods)
    assert previous.shape == induction.shape == (3, 2)


@pytest.mark.slow
def test_two_layers_learn_induction_and_one_layer_does_not():
    two = train_induction_model(2, progress=False)
    one = train_induction_model(1, progress=False)
    assert two.repeat_loss[-1] < 0.5 and two.scores("induction")[-1, 1].max() > 0.7
    assert one.repeat_loss[-1] > 2.0 and one.scores("induction")[-1].max() < 0.3


def test_steepest_drop_is_the_step_that_ends_the_largest_fall():
    run = InductionRun(model=None, step=[0, 20, 40, 60, 80], repeat_loss=[4.0, 3.9, 3.5, 1.0, 0.8])
    assert run.steepest_drop() == 60
    with pytest.raises(ValueError):
        InductionRun(model=None, step=[0], repeat_loss=[4.0]).steepest_drop()
