"""The labs' logic without a browser: computations against the helpers they build on, and widget state changes.

Widgets are created in plain Python (ipywidgets runs without a kernel); setting a control's value runs the
same observers a learner's click would, and `button.click()` runs a button's handlers.
"""

import base64
import struct

import pytest
import torch

from helpers.generation import generate, next_token_distribution, reweight
from helpers.model import GPT, GPTConfig
from helpers.tinyworld2 import MIXTURE, TinyWorld
from helpers.tokenizers import BPETokenizer, CharacterTokenizer, WordTokenizer
from helpers.training import History, TrainingConfig, TrainingEvent, train
from helpers.widgets import (
    AttentionLab,
    LogitLens,
    NextTokenLab,
    SamplingLab,
    SweepSamplesLab,
    TokenizerLab,
    TrainingDashboard,
    attention_from,
    attention_maps,
    default_tokenizers,
    entropy_bits,
    logit_lens,
    next_token_probabilities,
    sampled_probabilities,
    sampling_view,
    tokenize,
    top_predictions,
)
from helpers.widgets.drawing import DPI, FIGURE_WIDTH, figure_png, flow, ink_on, message_figure, visible

TEXT = "chloe is picking flowers by the river . leo is drawing a map . she smiles at the view ."



@pytest.fixture(scope="module")
def tokenizer():
    return CharacterTokenizer.train(TinyWorld(0).corpus_text(200))


@pytest.fixture(scope="module")
def model(tokenizer):
    torch.manual_seed(0)
    return GPT(GPTConfig.preset("tiny", vocab_size=tokenizer.vocab_size, context_length=64)).eval()


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", png[16:24])


# --- shared machinery -------------------------------------------------------------------------------------


def test_visible_shows_whitespace_and_replaces_glyphs_the_font_lacks():
    assert visible(" the\n") == "␣the↵"
    assert visible("\t") == "→"
    assert visible("😀") == "U+1F600"
    assert visible("\x07") == "U+0007"
    assert visible("") == "∅"
    assert visible("$x$") == "$x$"


def test_flow_wraps_rows_and_breaks_after_newlines():
    boxes = flow([3, 3, 3], chars_per_row=8)
    assert [(b.row, b.column) for b in boxes] == [(0, 0), (0, 4), (1, 0)]
    boxes = flow([1, 1, 1], chars_per_row=80, newline_after=[False, True, False])
    assert [b.row for b in boxes] == [0, 0, 1]
    assert flow([500], chars_per_row=20)[0].width == 20  # a huge token is clipped to one row


def test_ink_is_readable_on_light_and_dark_fills():
    assert ink_on("#ffffff") != "white"
    assert ink_on("#000000") == "white"


def test_pictures_are_900_pixels_wide():
    width, height = png_size(figure_png(message_figure("hello $x$")))
    assert width == FIGURE_WIDTH * DPI and 40 < height < 200


def test_lab_offers_widget_png_fallback_save_and_snapshot(model, tokenizer, tmp_path):
    lab = NextTokenLab(model, tokenizer, "alice is")
    bundle = lab._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]) == lab.png
    path = lab.save_png(tmp_path / "sub" / "lab.png")
    assert path.read_bytes() == lab.png
    assert lab.snapshot().data == lab.png
    with pytest.raises(ValueError, match=r"\.png"):
        lab.save_png(tmp_path / "lab.jpg")
    with pytest.raises(TypeError, match="path"):
        lab.save_png(42)
    assert "ullm-lab" in lab.widget._dom_classes and "ullm-next-token-lab" in lab.widget._dom_classes


def test_hold_batches_several_changes_into_one_drawing(model, tokenizer):
    lab = SamplingLab(model, tokenizer, "alice is")
    before = lab.renders
    with lab.hold():
        lab.temperature.value = 0.5
        lab.top_k.value = 5
        lab.top_p.value = 0.8
        assert lab.renders == before
    assert lab.renders == before + 1


def test_notice_is_hidden_when_there_is_nothing_to_say(model, tokenizer):
    lab = AttentionLab(model, tokenizer, "alice is")
    assert lab.notice_text == "" and lab.notice.layout.display == "none"
    lab.text.value = ""
    assert "empty" in lab.notice_text and lab.notice.layout.display == ""
    lab.text.value = "bob is"
    assert lab.notice_text == ""


# --- NextTokenLab ---------------------------------------------------------------------------------------


def test_next_token_probabilities_match_helpers_generation(model, tokenizer):
    ids = tokenizer.encode("alice is reading")
    ours = next_token_probabilities(model, ids)
    theirs = next_token_distribution(model, tokenizer, "alice is reading")
    assert torch.allclose(ours, theirs, atol=1e-6)
    assert ours.sum().item() == pytest.approx(1.0, abs=1e-5)


def test_top_predictions_are_sorted_and_counted(model, tokenizer):
    probabilities = next_token_probabilities(model, tokenizer.encode("bob is"))
    top = top_predictions(probabilities, tokenizer, 5)
    assert len(top) == 5
    assert [p.probability for p in top] == sorted((p.probability for p in top), reverse=True)
    assert top[0].token_id == int(probabilities.argmax())
    assert top[0].piece == tokenizer.token_strings([top[0].token_id])[0]
    with pytest.raises(ValueError, match="k must be"):
        top_predictions(probabilities, tokenizer, 0)
    with pytest.raises(ValueError, match="k must be"):
        top_predictions(probabilities, tokenizer, tokenizer.vocab_size + 1)


def test_entropy_in_bits():
    assert entropy_bits(torch.full((8,), 1 / 8)) == pytest.approx(3.0)
    assert entropy_bits(torch.tensor([0.0, 1.0, 0.0])) == pytest.approx(0.0)


def test_sampled_probabilities_are_the_step_by_step_probabilities(model, tokenizer):
    ids = tokenizer.encode("alice is here")
    got = sampled_probabilities(model, ids, 5, temperature=0.7, top_k=10)
    for position, probability in zip(range(5, len(ids)), got, strict=True):
        logits = model(torch.tensor([ids[:position]]))[0, -1]
        expected = reweight(logits.detach(), 0.7, 10)[ids[position]].item()
        assert probability == pytest.approx(expected, abs=1e-5)


def test_next_token_lab_walks_one_token_at_a_time(model, tokenizer):
    lab = NextTokenLab(model, tokenizer, "alice is", k=5)
    assert len(lab.choice.options) == 5
    first = lab.choice.value
    expected = float(lab.probabilities()[first])
    lab.append_chosen.click()
    assert lab.added == [first]
    assert lab.added_probabilities == [pytest.approx(expected)]
    assert lab.full_text() == "alice is" + tokenizer.decode([first])
    lab.append_sampled.click()
    assert len(lab.added) == 2
    lab.undo.click()
    assert lab.added == [first]
    lab.reset.click()
    assert lab.added == []
    lab.k.value = 8
    assert len(lab.choice.options) == 8
    assert lab.notice_text == ""


def test_next_token_lab_marks_tinyworlds_true_next_token_probabilities():
    world = TinyWorld(0)
    bpe = BPETokenizer.train(world.corpus_text(300), vocab_size=400)
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("tiny", vocab_size=bpe.vocab_size, context_length=64)).eval()
    prompt = "customer : hi , my lamp"
    lab = NextTokenLab(model, bpe, prompt, truth=world)
    truth = lab.true_probabilities()
    assert sum(truth.values()) == pytest.approx(1.0)
    for word, probability in world.next_word_probabilities(prompt).items():  # a word's first token gathers it
        assert truth[bpe.encode(" " + word)[0]] >= probability - 1e-12
    lab.prompt.value = "customer : hi , my lamp arrived"
    assert lab.true_probabilities() == {bpe.encode(" broken")[0]: pytest.approx(1.0)}  # the only word TinyWorld allows
    lab.append(bpe.encode(" the")[0])
    assert lab.true_probabilities() is None and "No TinyWorld document starts with" in lab.notice_text
    assert NextTokenLab(model, bpe, "").true_probabilities() is None  # no truth asked for
    start = NextTokenLab(model, bpe, "", truth=world).true_probabilities()  # a document's first word: no space
    assert start[bpe.encode("customer")[0]] >= MIXTURE["support"] - 1e-12
    with pytest.raises(TypeError, match="truth must be a TinyWorld"):
        NextTokenLab(model, bpe, prompt, truth="tinyworld2")


def test_next_token_lab_follows_the_truth_word_by_word_with_a_word_tokenizer():
    world = TinyWorld(0)
    words = WordTokenizer.train(world.corpus_text(300))
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("tiny", vocab_size=words.vocab_size, context_length=64)).eval()
    lab = NextTokenLab(model, words, "customer : hi , my lamp", truth=world)
    lab.append(words.encode("arrived")[0])
    assert lab.full_text() == "customer: hi, my lamp arrived"  # as the word tokenizer writes text
    assert lab.true_probabilities() == {words.encode("broken")[0]: pytest.approx(1.0)}


def test_next_token_lab_sampling_is_seeded(model, tokenizer):
    walks = []
    for _ in range(2):
        lab = NextTokenLab(model, tokenizer, "bob is", seed=3)
        for _ in range(4):
            lab.append_sample()
        walks.append(list(lab.added))
    assert walks[0] == walks[1]


def test_next_token_lab_prompt_change_starts_over_and_long_prompts_get_a_notice(model, tokenizer):
    lab = NextTokenLab(model, tokenizer, "alice is")
    lab.append_sample()
    lab.prompt.value = "bob is"
    assert lab.added == []
    lab.prompt.value = "the sun is shining . " * 10
    assert "sees only the last 64" in lab.notice_text


def test_next_token_lab_leaves_a_training_model_in_training_mode(tokenizer):
    torch.manual_seed(1)
    model = GPT(GPTConfig.preset("tiny", vocab_size=tokenizer.vocab_size, context_length=32, dropout=0.1))
    model.train()
    lab = NextTokenLab(model, tokenizer, "alice")
    lab.append_sample()
    assert model.training


def test_next_token_lab_rejects_bad_settings(model, tokenizer):
    with pytest.raises(ValueError, match="k must be"):
        NextTokenLab(model, tokenizer, k=0)
    with pytest.raises(TypeError, match="GPT"):
        NextTokenLab("model", tokenizer)
    big = CharacterTokenizer.train("".join(chr(c) for c in range(40, 400)))
    with pytest.raises(ValueError, match="trained with"):
        NextTokenLab(model, big)


# --- SamplingLab ----------------------------------------------------------------------------------------


def test_sampling_view_keeps_what_top_k_and_top_p_promise():
    logits = torch.tensor([4.0, 3.0, 2.0, 1.0, 0.0, -1.0])
    view = sampling_view(logits, 1.0, top_k=3, show=6)
    assert view.token_ids == [0, 1, 2, 3, 4, 5]
    assert view.kept == 3
    assert [a > 0 for a in view.after] == [True, True, True, False, False, False]
    assert sum(view.after) == pytest.approx(1.0)
    assert view.before == pytest.approx(torch.softmax(logits, -1).tolist())
    assert view.kept_mass == pytest.approx(sum(view.before[:3]))
    nucleus = sampling_view(logits, 1.0, top_p=0.9, show=6)
    assert nucleus.kept_mass >= 0.9 and nucleus.kept_mass - nucleus.before[nucleus.kept - 1] < 0.9
    greedy = sampling_view(logits, 0.0, show=6)
    assert greedy.kept == 1 and greedy.after[0] == 1.0 and greedy.entropy_bits == 0.0


def test_sampling_view_order_does_not_move_with_temperature():
    logits = torch.randn(50, generator=torch.Generator().manual_seed(0))
    orders = {tuple(sampling_view(logits, t, show=10).token_ids) for t in (0.1, 0.5, 1.0, 2.0)}
    assert len(orders) == 1


@pytest.mark.parametrize(
    "settings, error",
    [
        (dict(temperature=-1.0), ValueError),
        (dict(top_k=0), ValueError),
        (dict(top_p=0.0), ValueError),
        (dict(top_p=1.5), ValueError),
        (dict(temperature="hot"), TypeError),
    ],
)
def test_sampling_view_and_lab_reject_bad_settings(model, tokenizer, settings, error):
    with pytest.raises(error, match="temperature|top_k|top_p"):
        sampling_view(torch.zeros(5), show=5, **settings)
    with pytest.raises(error, match="temperature|top_k|top_p"):
        SamplingLab(model, tokenizer, **settings)


def test_slider_moves_reweight_the_cached_distribution_without_calling_the_model(model, tokenizer):
    lab = SamplingLab(model, tokenizer, "alice is")
    assert lab.model_calls == 1
    pictures = {lab.png}
    for temperature in (0.3, 1.5, 0.0):
        lab.temperature.value = temperature
        pictures.add(lab.png)
    lab.top_k.value = 4
    lab.top_p.value = 0.5
    assert lab.model_calls == 1
    assert lab.settings() == (0.0, 4, 0.5)
    assert len(pictures) == 4 and lab.renders == 6
    lab.top_p.value = 0.5  # the same value: nothing to redraw
    assert lab.renders == 6
    lab.top_k.value = 0
    lab.top_p.value = 1.0
    assert lab.settings() == (0.0, None, None)


def test_generate_button_gives_what_helpers_generation_gives(model, tokenizer):
    lab = SamplingLab(model, tokenizer, "alice is", temperature=0.8, top_k=20, seed=7, max_new_tokens=15)
    lab.generate_button.click()
    expected = generate(model, tokenizer, "alice is", 15, temperature=0.8, top_k=20, seed=7)
    assert lab.generated_text == expected
    assert lab.continuation is not None and len(lab.continuation[0]) == len(tokenizer.encode(expected))
    lab.prompt.value = "bob is " * 40
    lab.generate()
    assert lab.continuation[0][0] == "…" and len(lab.continuation[0]) == 161  # a long text is drawn from its end
    lab.prompt.value = "alice is"
    assert lab.generate() == expected  # the same seed, the same text
    lab.seed.value = 8
    assert lab.generate() == generate(model, tokenizer, "alice is", 15, temperature=0.8, top_k=20, seed=8)
    lab.prompt.value = "bob is"
    assert lab.continuation is None and lab.model_calls == 8  # 4 prompts and 4 generations


# --- AttentionLab ---------------------------------------------------------------------------------------


def test_attention_maps_are_the_traced_weights(model, tokenizer):
    maps = attention_maps(model, tokenizer, "alice is here")
    config = model.config
    assert maps.weights.shape == (config.n_layer, config.n_head, 13, 13)
    assert torch.allclose(maps.weights.sum(-1), torch.ones(config.n_layer, config.n_head, 13), atol=1e-5)
    assert torch.all(maps.weights.triu(diagonal=1) == 0)
    trace = model.trace(torch.tensor([tokenizer.encode("alice is here")]))
    assert torch.allclose(maps.weights[1, 2], trace.attentions[1][0, 2])
    assert maps.pieces == list("alice is here")


def test_capping_long_input_is_exact(model, tokenizer):
    capped = attention_maps(model, tokenizer, TEXT, max_tokens=20)
    full = attention_maps(model, tokenizer, TEXT, max_tokens=64)
    assert capped.truncated and capped.total_tokens == len(TEXT)
    assert torch.allclose(capped.weights, full.weights[:, :, :20, :20], atol=1e-5)


def test_attention_from_reads_one_row_and_checks_its_indices(model, tokenizer):
    maps = attention_maps(model, tokenizer, "alice is")
    row = attention_from(maps, 0, 1, 4)
    assert row[5:] == [0.0] * 3 and sum(row) == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError, match="head must be from 0 to 3"):
        attention_from(maps, 0, 4, 0)
    with pytest.raises(ValueError, match="query"):
        attention_from(maps, 0, 0, 8)


def test_attention_lab_redraws_for_head_layer_query_and_view(model, tokenizer):
    lab = AttentionLab(model, tokenizer, "alice is reading . she")
    assert [value for _, value in lab.query.options] == list(range(22))
    assert lab.query.value == 21
    pictures = [lab.png]
    lab.head.value = 1
    pictures.append(lab.png)
    lab.layer.value = 1
    pictures.append(lab.png)
    lab.query.value = 3
    pictures.append(lab.png)
    for view in ("all heads", "tokens"):
        lab.view.value = view
        pictures.append(lab.png)
    assert len(set(pictures)) == len(pictures) == lab.renders
    assert lab.notice_text == ""
    lab.text.value = "bob"
    assert lab.query.value == 2  # the query moves into the new text


def test_attention_lab_caps_long_text_with_a_notice(model, tokenizer):
    lab = AttentionLab(model, tokenizer, TEXT, max_tokens=24)
    assert f"first 24 of {len(TEXT)} tokens" in lab.notice_text
    assert len(lab.query.options) == 24


def test_attention_lab_rejects_bad_settings(model, tokenizer):
    with pytest.raises(ValueError, match="layer"):
        AttentionLab(model, tokenizer, layer=2)
    with pytest.raises(ValueError, match="head"):
        AttentionLab(model, tokenizer, head=-1)
    with pytest.raises(ValueError, match="view"):
        AttentionLab(model, tokenizer, view="3d")


# --- LogitLens ------------------------------------------------------------------------------------------


def test_logit_lens_top_row_is_the_models_own_prediction(model, tokenizer):
    readout = logit_lens(model, tokenizer, "alice is here", top=3)
    n_layer = model.config.n_layer
    assert readout.top_ids.shape == (n_layer + 1, 13, 3)
    assert readout.layer_names == ["embeddings", "block 0", "block 1"]
    logits = model(torch.tensor([tokenizer.encode("alice is here")]))[0]
    assert torch.equal(readout.top_ids[-1, :, 0], logits.argmax(-1))
    probabilities = readout.top_probabilities
    assert torch.all(probabilities[..., :-1] >= probabilities[..., 1:])
    assert readout.top_pieces[0][0] == tokenizer.token_strings(readout.top_ids[0, 0].tolist())


def test_logit_lens_lab_changes_position_and_caps_text(model, tokenizer):
    lab = LogitLens(model, tokenizer, "alice is here", top=3)
    assert lab.position.value == 12
    before = lab.png
    lab.position.value = 2
    assert lab.png != before
    lab.text.value = TEXT
    assert f"first 16 of {len(TEXT)} tokens" in lab.notice_text
    lab.top.value = 5
    assert lab.readout().top_ids.shape[-1] == 5


# --- TokenizerLab ---------------------------------------------------------------------------------------


def test_tokenize_keeps_ids_and_pieces(tokenizer):
    result = tokenize(tokenizer, "bob is")
    assert result.ids == tokenizer.encode("bob is")
    assert result.pieces == list("bob is")
    assert result.characters_per_token == pytest.approx(1.0)


def test_tokenizer_lab_compares_two_tokenizers(tokenizer):
    words = WordTokenizer.train(TinyWorld(0).corpus_text(200))
    lab = TokenizerLab({"characters": tokenizer, "words": words}, "alice is reading")
    assert lab.selected() == ["characters"]
    single = lab.png
    lab.compare.value = "words"
    assert lab.selected() == ["characters", "words"]
    assert png_size(lab.png)[1] > png_size(single)[1]
    counts = {name: len(result.ids) for name, result in lab.results()}
    assert counts == {"characters": 16, "words": 3}
    lab.tokenizer.value = "words"
    assert lab.selected() == ["words"]  # comparing a tokenizer with itself shows it once


def test_tokenizer_lab_names_a_list_of_tokenizers_and_rejects_bad_ones(tokenizer):
    lab = TokenizerLab([tokenizer, tokenizer], "ab")
    assert list(lab.tokenizers) == ["characters", "characters (2)"]
    with pytest.raises(TypeError, match="Tokenizer .*; object has no encode"):
        TokenizerLab({"broken": object()})
    with pytest.raises(ValueError, match="at least one"):
        TokenizerLab({})
    with pytest.raises(ValueError, match="compare"):
        TokenizerLab([tokenizer], compare="gpt-5")


def test_tokenizer_lab_caps_the_drawing_not_the_count(tokenizer):
    lab = TokenizerLab({"characters": tokenizer}, "ab " * 100, max_tokens=50)
    assert "300 tokens" in lab.notice_text and "first 50" in lab.notice_text


def test_default_tokenizers_include_the_chapter_one_pair_and_a_bpe():
    tokenizers = default_tokenizers(n_documents=20, bpe_vocab_size=300)
    assert {"characters", "words", "BPE (300)"} <= set(tokenizers)
    assert tokenizers["BPE (300)"].vocab_size == 300


# --- TrainingDashboard ----------------------------------------------------------------------------------


def event(step, model, max_steps=100, train_loss=3.0, val_loss=3.1):
    metrics = {"train_loss": train_loss, "val_loss": val_loss}
    return TrainingEvent(step, max_steps, metrics, model, History())


def test_dashboard_records_losses_and_samples_on_schedule(model, tokenizer):
    dashboard = TrainingDashboard(tokenizer, "alice", sample_every=50, max_new_tokens=8,
                                  min_seconds_between_draws=0)
    for step in range(0, 101, 10):
        dashboard(event(step, model, train_loss=3 - step / 100))
    assert dashboard.steps == list(range(0, 101, 10))
    assert dashboard.train_loss[-1] == pytest.approx(2.0)
    assert [s.step for s in dashboard.samples] == [0, 50, 100]
    assert dashboard.samples[0].text == generate(model, tokenizer, "alice", 8, temperature=0.8, seed=0)
    assert dashboard.renders == 12  # the empty start, then one picture per evaluation
    assert dashboard.notice_text == ""
    dashboard(event(0, model))  # a new run starts over
    assert dashboard.steps == [0] and len(dashboard.samples) == 1


def test_dashboard_draws_rarely_but_always_at_the_end(model):
    dashboard = TrainingDashboard(min_seconds_between_draws=3600)
    dashboard(event(10, model))
    for step in range(20, 100, 10):
        dashboard(event(step, model))
    assert dashboard.renders == 2  # the empty start and the first evaluation
    dashboard(event(100, model))
    assert dashboard.renders == 3 and dashboard.steps[-1] == 100


def test_dashboard_turns_a_bad_event_into_a_message(model):
    dashboard = TrainingDashboard()
    dashboard(TrainingEvent(1, 10, {"loss": 1.0}, model, History()))
    assert "could not use this evaluation" in dashboard.notice_text


def test_training_with_the_dashboard_gives_the_same_losses(tokenizer):
    ids = tokenizer.encode(TinyWorld(1).corpus_text(60))
    config = TrainingConfig(max_steps=12, batch_size=4, warmup_steps=2, eval_every=4, eval_batches=1,
                            context_length=32)
    histories = []
    for callbacks in ([], [TrainingDashboard(tokenizer, "bob", sample_every=4, max_new_tokens=5,
                                             min_seconds_between_draws=0)]):
        torch.manual_seed(0)
        model = GPT(GPTConfig.preset("tiny", vocab_size=tokenizer.vocab_size, context_length=32, dropout=0.1))
        histories.append(train(model, ids[:2000], ids[2000:3000], config, callbacks=callbacks, progress=False))
    assert histories[0].train_loss == histories[1].train_loss
    assert histories[0].val_loss == histories[1].val_loss
    assert len(callbacks[0].steps) == 4 and len(callbacks[0].samples) == 4


def test_dashboard_rejects_bad_settings():
    with pytest.raises(ValueError, match="sample_every"):
        TrainingDashboard(sample_every=0)
    with pytest.raises(ValueError, match="temperature"):
        TrainingDashboard(temperature=-1)
    with pytest.raises(TypeError, match="prompt"):
        TrainingDashboard(prompt=3)


# --- bad input: the table of every bad input, labs included, is tests/test_bad_inputs.py --------------------


def test_unknown_token_ids_are_refused_with_advice(model, tokenizer):
    lab = NextTokenLab(model, tokenizer, "alice")
    with pytest.raises(ValueError, match="token id must be from 0 to"):
        lab.append(tokenizer.vocab_size + 5)
    with lab.muted():
        lab.choice.options = []  # nothing to append: the button shows a message instead of raising
    lab.append_chosen.click()
    assert "No token is chosen" in lab.notice_text and lab.added == []


def test_outside_jupyter_nothing_is_published(model, tokenizer):
    from helpers.widgets.base import running_a_cell

    assert not running_a_cell()
    lab = AttentionLab(model, tokenizer, "alice")
    lab._ipython_display_()  # plain Python: display only prints, and no handle is kept
    lab.head.value = 1
    assert lab._displays == []


def test_samples_lab_shows_each_size():
    lab = SweepSamplesLab({"XS": "alice is is is", "XL": "alice is reading a book by the river ."})
    first = bytes(lab.png)
    assert first.startswith(b"\x89PNG") and lab.renders == 1
    lab.slider.value = "XS"
    assert lab.renders == 2 and bytes(lab.png) != first
    with pytest.raises(ValueError, match="samples"):
        SweepSamplesLab({})
