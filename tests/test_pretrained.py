"""Pretrained models: trained once, cached, verified, rebuilt when damaged or when the recipe changes."""

import dataclasses
import fcntl
import json
import threading

import pytest
import torch

import helpers.cached_models as cached_models
import helpers.pretrained as pretrained_module
from helpers.cached_models import lock_path
from helpers.checkpoints import CheckpointError, load_checkpoint
from helpers.model import GPT
from helpers.pretrained import (
    RECIPES,
    WORLDS,
    Recipe,
    build_model,
    cache_folder,
    commit_weights,
    corpus_texts,
    fingerprint,
    pretrained,
    pretrained_checkpoint,
    recipe_named,
    seed_twin,
    tokenizer_text,
)
from helpers.scoring import nats_per_character
from helpers.tinyworld2 import TinyWorld
from helpers.tokenizers import BPETokenizer, Tokenizer
from helpers.training import TrainingInterrupted


def model_folder(recipe: Recipe):
    return cache_folder(recipe, fingerprint(recipe, *corpus_texts(recipe))) / "model"


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True))


def refuse_to_train(*args, **kwargs):
    raise AssertionError("pretrained() trained although an intact cached model was there")


def test_trained_once_then_loaded_from_the_cache(tiny_recipe, monkeypatch):
    model, tokenizer = pretrained(tiny_recipe.name, progress=False)
    assert isinstance(model, GPT) and isinstance(tokenizer, Tokenizer) and not model.training
    assert model.config.vocab_size == tokenizer.vocab_size == tiny_recipe.vocab_size
    assert load_checkpoint(model_folder(tiny_recipe)).step == tiny_recipe.training.max_steps
    monkeypatch.setattr(cached_models, "train", refuse_to_train)
    again, tokenizer_again = pretrained(tiny_recipe.name, progress=False)
    assert same_weights(model, again) and tokenizer_again.encode("the cat .") == tokenizer.encode("the cat .")


def test_a_damaged_cache_is_rebuilt_with_a_warning_never_loaded(tiny_recipe):
    model, _ = pretrained(tiny_recipe.name, progress=False)
    folder = model_folder(tiny_recipe)
    weights = folder / json.loads((folder / "checkpoint.json").read_text())["files"]["model"]["path"]
    weights.write_bytes(weights.read_bytes()[:-100])  # truncated
    (folder.parent / "tokenizer.json").write_text("{")  # and the cached tokenizer damaged too
    with pytest.warns(UserWarning, match="damaged") as warned:
        rebuilt, _ = pretrained(tiny_recipe.name, progress=False)
    assert any(str(weights) in str(w.message) for w in warned)
    assert same_weights(model, rebuilt)  # training is deterministic: the same model again


def test_a_changed_recipe_trains_again_in_its_own_folder(tiny_recipe, monkeypatch):
    pretrained(tiny_recipe.name, progress=False)
    changed = dataclasses.replace(tiny_recipe, training=dataclasses.replace(tiny_recipe.training, learning_rate=1e-3))
    assert fingerprint(changed, *corpus_texts(changed)) != fingerprint(tiny_recipe, *corpus_texts(tiny_recipe))
    monkeypatch.setitem(RECIPES, tiny_recipe.name, changed)
    assert not model_folder(changed).exists()
    pretrained(tiny_recipe.name, progress=False)
    assert model_folder(changed).exists() and model_folder(tiny_recipe).exists()


def test_the_fingerprint_covers_the_texts_and_the_model_shape(tiny_recipe):
    texts = corpus_texts(tiny_recipe)
    assert fingerprint(tiny_recipe, *texts) == fingerprint(tiny_recipe, *corpus_texts(tiny_recipe))  # same key
    assert fingerprint(tiny_recipe, texts[0] + "x", texts[1]) != fingerprint(tiny_recipe, *texts)
    wider = dataclasses.replace(tiny_recipe, model={**tiny_recipe.model, "n_embd": 64})
    assert fingerprint(wider, *texts) != fingerprint(tiny_recipe, *texts)
    renamed = dataclasses.replace(tiny_recipe, name="other", description="same model, other name")
    assert fingerprint(renamed, *texts) == fingerprint(tiny_recipe, *texts)


def test_an_interrupted_first_training_resumes_at_the_next_call(tiny_recipe, monkeypatch):
    original_train = cached_models.train

    def interrupted_train(*args, **kwargs):
        def interrupt(event):
            if event.step == 10:
                raise KeyboardInterrupt

        return original_train(*args, callbacks=[interrupt], **kwargs)

    monkeypatch.setattr(cached_models, "train", interrupted_train)
    with pytest.raises(TrainingInterrupted):
        pretrained(tiny_recipe.name, progress=False)
    assert load_checkpoint(model_folder(tiny_recipe)).step == 10
    monkeypatch.setattr(cached_models, "train", original_train)
    resumed = pretrained_checkpoint(tiny_recipe.name, progress=False)

    fresh = dataclasses.replace(tiny_recipe, world_seed=tiny_recipe.world_seed)  # an equal recipe, trained in one go
    monkeypatch.setenv("ULLM_CACHE_DIR", str(model_folder(tiny_recipe).parent.parent.parent / "fresh"))
    monkeypatch.setitem(RECIPES, tiny_recipe.name, fresh)
    uninterrupted = pretrained_checkpoint(tiny_recipe.name, progress=False)
    assert resumed.history["val_loss"] == uninterrupted.history["val_loss"]
    assert same_weights(resumed.build_model(), uninterrupted.build_model())


def test_a_second_caller_waits_for_the_first_instead_of_training_at_the_same_time(tiny_recipe, capsys):
    entry = model_folder(tiny_recipe).parent
    results = []
    with open(lock_path(entry / "model"), "w") as held:  # as if another notebook were training this model now
        fcntl.flock(held, fcntl.LOCK_EX)
        waiting = threading.Thread(target=lambda: results.append(pretrained(tiny_recipe.name, progress=True)))
        waiting.start()
        waiting.join(timeout=1.0)
        assert waiting.is_alive() and not (entry / "model").exists()
    waiting.join(timeout=300)
    assert results and "waiting for it to finish" in capsys.readouterr().out


def test_an_unknown_name_lists_the_recipes():
    with pytest.raises(ValueError, match="tinyworld2-mini"):
        pretrained("tinyworld2-huge")


def test_a_seed_twin_differs_from_its_recipe_only_in_its_seeds(monkeypatch):
    monkeypatch.setattr(pretrained_module, "RECIPES", dict(RECIPES))  # the twin is registered for this test only
    assert seed_twin("tinyworld2-m", 0) == "tinyworld2-m"
    twin = recipe_named(seed_twin("tinyworld2-m", 3))
    original = recipe_named("tinyworld2-m")
    assert (twin.name, twin.model_seed, twin.training.seed) == ("tinyworld2-m-seed3", 3, 3)
    assert dataclasses.replace(twin, name=original.name, model_seed=0,
                               training=dataclasses.replace(twin.training, seed=0)) == original
    with pytest.raises(ValueError, match="non-negative"):
        seed_twin("tinyworld2-m", -1)


def test_build_model_gives_the_same_initial_weights_without_touching_the_global_generator(tiny_recipe):
    tokenizer = BPETokenizer.train(TinyWorld(1).corpus_text(5), 260)
    state = torch.get_rng_state()
    assert same_weights(build_model(tiny_recipe, tokenizer), build_model(tiny_recipe, tokenizer))
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.slow
def test_the_mini_model_learns_tinyworld():
    model, tokenizer = pretrained("tinyworld2-mini", progress=False)
    recipe = RECIPES["tinyworld2-mini"]
    floor = TinyWorld(recipe.world_seed).entropy_floor().nats_per_char
    ratio = nats_per_character(model, tokenizer, corpus_texts(recipe)[1]) / floor
    assert ratio < 2.0  # 1.85 measured; an untrained model is near ln(512) nats per token, about 8x the floor


def test_committed_weights_load_in_half_precision_instead_of_training(tiny_recipe, monkeypatch, tmp_path):
    recipe = dataclasses.replace(tiny_recipe, tokenizer_documents=100)
    monkeypatch.setitem(RECIPES, recipe.name, recipe)
    monkeypatch.setattr(pretrained_module, "COMMITTED_WEIGHTS", tmp_path / "reference_models")
    folder = commit_weights(recipe.name, progress=False)
    assert folder.parent == tmp_path / "reference_models" and folder.name.startswith(recipe.name + "-")
    trained = load_checkpoint(model_folder(recipe))
    committed = pretrained_checkpoint(recipe.name, progress=False)
    assert committed.directory == folder and committed.step == recipe.training.max_steps
    assert committed.file("training_state") is None  # weights and tokenizer only: what a learner needs
    full, half = trained.build_model(), committed.build_model()
    assert all(p.dtype == torch.float32 for p in half.parameters())
    for a, b in zip(full.state_dict().values(), half.state_dict().values(), strict=True):
        assert torch.allclose(a, b, rtol=1e-3, atol=1e-4)  # rounded to float16 on disk, nothing else
    text = corpus_texts(recipe)[1]
    assert committed.tokenizer().encode(text) == trained.tokenizer().encode(text)
    changed = dataclasses.replace(recipe, val_documents=21)  # another recipe: the committed folder is not its own
    monkeypatch.setitem(RECIPES, recipe.name, changed)
    assert pretrained_checkpoint(recipe.name, progress=False).directory != folder


def test_a_damaged_committed_model_is_refused_with_the_file_named(tiny_recipe, monkeypatch, tmp_path):
    monkeypatch.setattr(pretrained_module, "COMMITTED_WEIGHTS", tmp_path / "reference_models")
    folder = commit_weights(tiny_recipe.name, progress=False)
    weights = next(folder.glob("model-*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:-8] + b"\0" * 8)
    with pytest.raises(CheckpointError, match=weights.name):
        pretrained_checkpoint(tiny_recipe.name, progress=False)


def test_the_recipe_corpus_and_tokenizer_text():
    recipe = RECIPES["tinyworld2-m"]
    assert recipe.corpus == "tinyworld2" and WORLDS[recipe.corpus] is TinyWorld
    small = dataclasses.replace(recipe, train_documents=50, val_documents=5, tokenizer_documents=20)
    train_text, _ = corpus_texts(small)
    assert train_text.startswith(tokenizer_text(small, train_text))  # the BPE reads the first documents
    assert tokenizer_text(small, train_text).count("\n") == 20
    assert tokenizer_text(dataclasses.replace(small, tokenizer_documents=None), train_text) == train_text
