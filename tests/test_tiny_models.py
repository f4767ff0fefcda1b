"""helpers.experiments.tiny_models: a tiny model trains once, a second call loads it, a changed setting retrains."""

import torch

import helpers.cached_models as cached_models
from helpers.experiments.tiny_models import tiny_model
from helpers.model import GPT, GPTConfig
from helpers.runtime import seed_everything
from helpers.tokenizers import CharacterTokenizer
from helpers.training import TrainingConfig, train
from helpers.windows import split_ids

TEXTS = ["the cat sat on the mat .", "the dog ran to the park .", "a bird sang in the tree ."] * 20
TOKENIZER = CharacterTokenizer.train("".join(t + "\n" for t in TEXTS))


def no_training(*args, **kwargs):
    raise AssertionError("a cached model must not be trained again")


def test_a_second_call_loads_the_same_model_instead_of_training(isolated_cache, monkeypatch):
    first = tiny_model(TEXTS, TOKENIZER, steps=6, context_length=16)
    assert first.history["step"] == [0, 6] and first.train_tokens > 0
    monkeypatch.setattr(cached_models, "train", no_training)
    again = tiny_model(TEXTS, TOKENIZER, steps=6, context_length=16)
    assert again.history == first.history
    assert all(torch.equal(a, b) for a, b in zip(first.model.state_dict().values(), again.model.state_dict().values(),
                                                 strict=True))
    assert len(list(isolated_cache.rglob("checkpoint.json"))) == 1


def test_a_changed_setting_or_text_trains_a_new_model(isolated_cache):
    tiny_model(TEXTS, TOKENIZER, steps=6, context_length=16)
    tiny_model(TEXTS, TOKENIZER, steps=6, context_length=16, seed=1)
    tiny_model(TEXTS, TOKENIZER, steps=8, context_length=16)
    tiny_model(TEXTS[:30], TOKENIZER, steps=6, context_length=16)
    assert len(list(isolated_cache.rglob("checkpoint.json"))) == 4


def test_the_cached_model_is_the_one_the_chapter_trained_before_it_was_cached(isolated_cache):
    """The same numbers as training in place on one thread (the chapter's outputs did not change)."""
    cached = tiny_model(TEXTS, TOKENIZER, steps=6, context_length=16)
    train_ids, val_ids = split_ids(torch.tensor(TOKENIZER.encode("".join(t + "\n" for t in TEXTS))), 0.05)
    seed_everything(0)
    model = GPT(GPTConfig.preset("tiny", vocab_size=TOKENIZER.vocab_size, context_length=16))
    history = train(model, train_ids, val_ids, TrainingConfig(max_steps=6, batch_size=16, learning_rate=1e-2,
                                                              warmup_steps=20, eval_every=6, eval_batches=2, seed=0),
                    progress=False)
    assert history.val_loss == cached.history["val_loss"]
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), cached.model.state_dict().values(),
                                                 strict=True))
