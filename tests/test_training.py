"""The training loop: schedule, optimizer groups, losses, callbacks, determinism and bad input."""

import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from helpers.batches import fixed_batches
from helpers.model import GPT, GPTConfig
from helpers.training import (
    History,
    TrainingConfig,
    TrainingEvent,
    evaluate,
    language_model_loss,
    learning_rate_at,
    make_optimizer,
    next_token_loss,
    train,
)
from helpers.windows import TokenWindows

VOCAB = 12



def tiny_model(seed: int = 0, dropout: float = 0.0) -> GPT:
    torch.manual_seed(seed)
    return GPT(GPTConfig(vocab_size=VOCAB, context_length=16, n_layer=1, n_head=2, n_embd=16, dropout=dropout))


def pattern_ids(n: int = 3000, seed: int = 0) -> torch.Tensor:
    """A learnable stream: mostly counting up modulo VOCAB, with a little noise."""
    generator = torch.Generator().manual_seed(seed)
    ids = torch.arange(n) % VOCAB
    noise = torch.rand(n, generator=generator) < 0.1
    return torch.where(noise, torch.randint(0, VOCAB, (n,), generator=generator), ids)


def quick_config(**overrides) -> TrainingConfig:
    settings = dict(max_steps=30, batch_size=8, learning_rate=1e-2, warmup_steps=3, eval_every=10, eval_batches=2)
    settings.update(overrides)
    return TrainingConfig(**settings)


def test_schedule_warms_up_linearly_then_decays_by_cosine_to_the_minimum():
    config = TrainingConfig(max_steps=110, learning_rate=1.0, warmup_steps=10, min_lr_ratio=0.1)
    rates = [learning_rate_at(step, config) for step in range(110)]
    assert rates[:10] == pytest.approx([(s + 1) / 10 for s in range(10)])
    assert rates[10] == pytest.approx(1.0)
    assert sorted(rates[10:], reverse=True) == rates[10:]
    assert rates[60] == pytest.approx(0.1 + 0.9 * 0.5)  # half-way through the cosine
    assert learning_rate_at(110, config) == pytest.approx(0.1)


def test_weight_decay_applies_to_matrices_only():
    model = tiny_model()
    optimizer = make_optimizer(model, TrainingConfig(weight_decay=0.3))
    decay, no_decay = optimizer.param_groups
    assert decay["weight_decay"] == 0.3 and no_decay["weight_decay"] == 0.0
    assert all(p.dim() >= 2 for p in decay["params"]) and all(p.dim() == 1 for p in no_decay["params"])
    names = {id(p): name for name, p in model.named_parameters()}
    assert {"wte.weight", "wpe.weight", "h.0.attn.c_attn.weight"} <= {names[id(p)] for p in decay["params"]}
    assert {"ln_f.weight", "ln_f.bias", "h.0.mlp.c_fc.bias"} <= {names[id(p)] for p in no_decay["params"]}
    # the tied output head is the token embedding: counted once
    assert len(decay["params"]) + len(no_decay["params"]) == len(list(model.parameters()))


def test_language_model_loss_is_mean_cross_entropy_and_checks_shapes():
    logits = torch.randn(2, 3, 5)
    targets = torch.tensor([[0, 1, 2], [3, 4, 0]])
    manual = -torch.log_softmax(logits, -1).gather(-1, targets[..., None]).mean()
    assert language_model_loss(logits, targets).item() == pytest.approx(manual.item(), abs=1e-6)
    with pytest.raises(ValueError, match="logits must be"):
        language_model_loss(logits, targets[:, :2])


def test_training_lowers_the_loss_and_records_history():
    ids = pattern_ids()
    history = train(tiny_model(), ids[:2500], ids[2500:], quick_config(max_steps=60, eval_every=20), progress=False)
    assert history.step == [0, 20, 40, 60]
    assert history.val_loss[-1] < 0.6 * history.val_loss[0]
    assert history.val_loss[0] == pytest.approx(math.log(VOCAB), rel=0.1)  # an untrained model guesses uniformly
    assert history.val_perplexity == pytest.approx([math.exp(loss) for loss in history.val_loss])
    assert history.tokens_seen == [step * 8 * 16 for step in history.step]
    assert sorted(history.elapsed) == history.elapsed
    assert History.from_dict(history.as_dict()) == history


def test_callbacks_see_each_evaluation_and_can_stop_early():
    ids = pattern_ids()
    seen: list[TrainingEvent] = []

    def stop_at_twenty(event: TrainingEvent) -> None:
        seen.append(event)
        if event.step == 20:
            event.stop()

    model = tiny_model()
    history = train(model, ids[:2500], ids[2500:], quick_config(max_steps=50), callbacks=[stop_at_twenty],
                    progress=False)
    assert [event.step for event in seen] == [0, 10, 20] and history.step == [0, 10, 20]
    assert seen[-1].model is model and seen[-1].max_steps == 50
    assert set(seen[-1].metrics) >= {"train_loss", "val_loss", "val_perplexity", "learning_rate", "tokens_seen"}


def test_same_seed_gives_the_same_history_even_with_dropout():
    ids = pattern_ids()
    runs = [
        train(tiny_model(dropout=0.2), ids[:2500], ids[2500:], quick_config(seed=seed), progress=False).val_loss
        for seed in (5, 5, 6)
    ]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_a_custom_loss_and_dataset_train_a_classifier():
    """Classification fine-tuning reuses the loop: its own Dataset and loss_fn(model, batch)."""
    torch.manual_seed(0)
    features = torch.randn(256, 4)
    labels = (features[:, 0] + features[:, 1] > 0).long()
    data = TensorDataset(features, labels)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))

    def classification_loss(model, batch):
        inputs, targets = batch
        return nn.functional.cross_entropy(model(inputs), targets)

    history = train(model, data, data, quick_config(max_steps=80, eval_every=40), loss_fn=classification_loss,
                    progress=False)
    assert history.val_loss[-1] < 0.35 < history.val_loss[0]


def test_evaluate_restores_training_mode():
    ids = pattern_ids(200)
    model = tiny_model().train()
    loss = evaluate(model, fixed_batches(TokenWindows(ids, 16), 1, 4), next_token_loss)
    assert model.training and 0 < loss < 10


def test_progress_bar_runs(capsys):
    ids = pattern_ids(600)
    train(tiny_model(), ids[:500], ids[500:], quick_config(max_steps=2, eval_every=1), progress=True)
    assert "training" in capsys.readouterr().err


@pytest.mark.parametrize(
    "train_data,error,message",
    [
        ("some text", TypeError, "encode it first"),
        (DataLoader(TokenWindows(pattern_ids(), 16), 8), TypeError, "pass its dataset"),
        (torch.rand(100), TypeError, "integer token ids"),
        (pattern_ids(40), ValueError, "fewer than one batch"),
        (pattern_ids(10), ValueError, "cannot fill one window"),
    ],
)
def test_bad_training_data_says_what_to_change(train_data, error, message):
    with pytest.raises(error, match=message):
        train(tiny_model(), train_data, pattern_ids(200), quick_config(), progress=False)


@pytest.mark.parametrize(
    "settings,message",
    [
        ({"max_steps": 0}, "max_steps must be a positive integer"),
        ({"batch_size": 2.5}, "batch_size must be a positive integer"),
        ({"learning_rate": -1.0}, "learning_rate must be positive"),
        ({"min_lr_ratio": 2.0}, "min_lr_ratio"),
        ({"grad_clip": 0.0}, "grad_clip must be positive or None"),
        ({"warmup_steps": -1}, "warmup_steps"),
        ({"betas": (0.9, 1.5)}, "betas"),
        ({"seed": -3}, "seed"),
    ],
)
def test_bad_settings_say_what_to_change(settings, message):
    with pytest.raises(ValueError, match=message):
        TrainingConfig(**settings)


def test_train_rejects_a_wrong_config_type():
    with pytest.raises(TypeError, match="TrainingConfig"):
        train(tiny_model(), pattern_ids(), pattern_ids(), {"max_steps": 3})


def test_windows_dataset_is_accepted_directly():
    ids = pattern_ids()
    history = train(tiny_model(), TokenWindows(ids[:2500], 8, stride=4), TokenWindows(ids[2500:], 8),
                    quick_config(max_steps=5, eval_every=5), progress=False)
    assert history.step == [0, 5] and history.tokens_seen[-1] == 5 * 8 * 8
