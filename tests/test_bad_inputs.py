"""The table of bad input: every public function of helpers that takes user input, and every lab.

Each row is one input a learner might type and what must happen: either a correct result (checked), or a
ValueError/TypeError whose message matches a pattern saying what to change. Never an IndexError or a
RuntimeError from inside torch. A lab never raises while a learner types: bad text becomes a notice line
above the last good picture (or a placeholder).

Everything runs on a tiny randomly initialised model (the "tiny" preset, seeded) and tokenizers trained on
a few TinyWorld documents, so the whole table takes seconds.
"""

from __future__ import annotations

import math
import struct
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader

from helpers.attention import KVCache, fused_scaled_dot_product_attention, scaled_dot_product_attention
from helpers.batches import ShuffledBatches
from helpers.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from helpers.downloads import load
from helpers.finetuning import (
    ClassificationData,
    GPTClassifier,
    InstructionData,
    LoRALinear,
    collate_instruction,
    format_prompt,
)
from helpers.generation import generate, generate_ids, next_token_distribution, prompt_ids, reweight
from helpers.model import GPT, GPTConfig
from helpers.ngram_model import NGramModel
from helpers.pretrained import pretrained
from helpers.probes import MinimalPair, accuracy
from helpers.runtime import cache_dir, seed_everything
from helpers.scoring import continuation_log_probs, nats_per_character
from helpers.tinyworld2 import TinyWorld, insert_secret
from helpers.tokenizers import BPETokenizer, CharacterTokenizer, WordTokenizer, load_tokenizer
from helpers.training import History, TrainingConfig, TrainingEvent, evaluate, language_model_loss, train
from helpers.widgets import (
    AttentionLab,
    LogitLens,
    NextTokenLab,
    SamplingLab,
    TokenizerLab,
    TrainingDashboard,
    attention_from,
    attention_maps,
    logit_lens,
    next_token_logits,
    sampled_probabilities,
    sampling_view,
    tokenize,
    top_predictions,
)
from helpers.widgets.drawing import DPI, FIGURE_WIDTH
from helpers.windows import TokenWindows, split_ids
from helpers.word_count_classifier import WordCountClassifier

CONTEXT = 32
TRAINING_TEXT = TinyWorld(0).corpus_text(60)



class Kit:
    """What the rows work on, built once per module: a tiny model, its tokenizer, a few others, the labs."""

    def __init__(self, tmp_path_factory):
        self.tmp = tmp_path_factory.mktemp("bad-inputs")
        self.chars = CharacterTokenizer.train(TRAINING_TEXT)
        self.words = WordTokenizer.train(TRAINING_TEXT)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.bpe = BPETokenizer.train(TRAINING_TEXT, 300)
        # a tokenizer of another model: more tokens than this model knows
        self.other = CharacterTokenizer.train("".join(chr(c) for c in range(40, 400)))
        torch.manual_seed(0)
        self.model = GPT(GPTConfig.preset("tiny", vocab_size=self.chars.vocab_size, context_length=CONTEXT)).eval()
        self.vocab = self.chars.vocab_size
        self.ids = torch.tensor(self.chars.encode(TRAINING_TEXT))
        self._labs: dict[type, Any] = {}

    def lab(self, lab_class: type):
        """One lab of each kind, shared by the rows that type text into it."""
        if lab_class not in self._labs:
            self._labs[lab_class] = (lab_class({"characters": self.chars}) if lab_class is TokenizerLab
                                     else lab_class(self.model, self.chars))
        return self._labs[lab_class]

    @cached_property
    def checkpoint_dir(self):
        folder = self.tmp / "checkpoint"
        save_checkpoint(folder, self.model, step=1)
        return folder

    def config(self, **changes) -> TrainingConfig:
        return TrainingConfig(**{**dict(max_steps=2, batch_size=2, warmup_steps=1, eval_every=1, eval_batches=1),
                                 **changes})


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    return Kit(tmp_path_factory)


@dataclass(frozen=True)
class Outcome:
    """What a row must give: `error` with a message matching `match`, or a result that passes `check`."""

    error: type[Exception] | None = None
    match: str = ""
    check: Callable[[Any, Kit], bool] | None = None
    warns: str | None = None  # a warning the correct result comes with (e.g. "only the last 32 tokens")


def fails(error: type[Exception], match: str) -> Outcome:
    assert issubclass(error, (ValueError, TypeError, FileNotFoundError)), error
    return Outcome(error=error, match=match)


def gives(check: Callable[[Any, Kit], bool] = lambda result, kit: True, warns: str | None = None) -> Outcome:
    return Outcome(check=check, warns=warns)


def is_distribution(result, kit) -> bool:
    return result.shape == (kit.vocab,) and math.isclose(float(result.sum()), 1.0, abs_tol=1e-5) and bool(
        (result >= 0).all())


def shows_picture_or_notice(lab, kit) -> bool:
    """A lab given bad input shows a message or a correct picture (full width), never a traceback or a blank."""
    png = lab.png
    return (png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">I", png[16:20])[0] == FIGURE_WIDTH * DPI
            and "Something went wrong" not in lab.notice_text)


def typed(lab_class: type, text: str) -> Callable[[Kit], Any]:
    """Type text into a lab's text box, as a learner would (the change runs the lab's observers)."""

    def call(kit: Kit):
        lab = kit.lab(lab_class)
        control = getattr(lab, "text", None) or lab.prompt
        before = lab.renders
        control.value = text
        assert lab.renders == before + 1 or lab.notice_text, "neither a new picture nor a message"
        return lab

    return call


# --- one matrix: bad texts x everything that reads text ------------------------------------------------

TEXTS = {
    "empty": "",
    "whitespace only": "   \n\t ",
    "far longer than the context": "alice is reading a book in the garden . " * 40,
    "emoji and mixed scripts": "alice 😀 中文 עברית ok",
    "special token typed in text": "alice <|endoftext|> bob",
    "control characters": "a\x00b\x07c",
    "dollar signs (matplotlib mathtext)": "$alice$ is $",
}
LONG = "far longer than the context"
EMPTY = "empty"


def round_trips(text):
    return lambda ids, kit: kit.bpe.decode(ids) == text and kit.bpe.encode_pure_python(text) == ids


def characters_round_trip(text):
    # unknown characters (emoji, other scripts, control characters) come back as "<|unk|>"
    return lambda ids, kit: all(0 <= i < kit.vocab for i in ids) and (
        kit.chars.decode(ids) == text or kit.chars.unk_id in ids)


def text_rows() -> dict[str, tuple[Callable[[Kit], Any], Outcome]]:
    rows = {}
    for name, text in TEXTS.items():
        empty, long = name == EMPTY, name == LONG
        crop_warning = f"only the last {CONTEXT}" if long else None
        rows |= {
            f"CharacterTokenizer.encode / {name}": (lambda k, t=text: k.chars.encode(t),
                                                    gives(characters_round_trip(text))),
            f"WordTokenizer.encode / {name}": (lambda k, t=text: k.words.encode(t),
                                               gives(lambda ids, k: all(0 <= i < k.words.vocab_size for i in ids))),
            f"BPETokenizer.encode / {name}": (lambda k, t=text: k.bpe.encode(t), gives(round_trips(text))),
            f"CharacterTokenizer.train / {name}": (
                lambda k, t=text: CharacterTokenizer.train(t),
                fails(ValueError, "give a non-empty text") if empty else
                gives(lambda tok, k, t=text: tok.decode(tok.encode(t)) == t)),
            f"WordTokenizer.train / {name}": (
                lambda k, t=text: WordTokenizer.train(t),
                fails(ValueError, "give a non-empty text") if empty else gives()),
            f"BPETokenizer.train / {name}": (  # an empty text has no pairs: a warning, and no merges
                lambda k, t=text: BPETokenizer.train(t, 270),
                gives(lambda tok, k, t=text: tok.decode(tok.encode(t)) == t,
                      warns="ran out of pairs" if empty else None)),
            f"prompt_ids / {name}": (
                lambda k, t=text: prompt_ids(k.chars, t),
                gives(lambda ids, k, t=text: ids == ([k.chars.eot_id] if not t else k.chars.encode(t)))),
            f"next_token_distribution / {name}": (
                lambda k, t=text: next_token_distribution(k.model, k.chars, t), gives(is_distribution, crop_warning)),
            f"generate / {name}": (
                lambda k, t=text: generate(k.model, k.chars, t, 4, seed=0),
                gives(lambda out, k, t=text: out.startswith(t) and len(out) >= len(t), crop_warning)),
            f"widgets.tokenize / {name}": (
                lambda k, t=text: tokenize(k.chars, t),
                gives(lambda r, k, t=text: len(r.ids) == len(r.pieces) and r.characters == len(t))),
            f"widgets.attention_maps / {name}": (
                lambda k, t=text: attention_maps(k.model, k.chars, t),
                fails(ValueError, "text is empty: type a sentence") if empty else
                gives(lambda m, k: torch.allclose(m.weights.sum(-1), torch.ones(()), atol=1e-5)
                      and len(m.ids) <= CONTEXT)),
            f"widgets.logit_lens / {name}": (
                lambda k, t=text: logit_lens(k.model, k.chars, t),
                fails(ValueError, "text is empty: type a few words") if empty else
                gives(lambda r, k: r.top_ids.shape[0] == k.model.config.n_layer + 1)),
            f"nats_per_character / {name}": (
                lambda k, t=text: nats_per_character(k.model, k.chars, t),
                fails(ValueError, "non-empty") if empty else gives(lambda nats, k: 0 < nats < math.inf)),
            f"TinyWorld.log_prob / {name}": (
                lambda k, t=text: TinyWorld(0).log_prob(t), gives(lambda lp, k: lp == -math.inf)),
            f"WordCountClassifier.predict / {name}": (
                lambda k, t=text: WordCountClassifier.train(["win a prize", "see you at noon"], ["spam", "ham"])
                .predict(t), gives(lambda label, k: label in ("spam", "ham"))),
        }
        for lab_class in (TokenizerLab, NextTokenLab, SamplingLab, AttentionLab, LogitLens):
            rows[f"{lab_class.__name__} typed / {name}"] = (typed(lab_class, text), gives(shows_picture_or_notice))
        rows[f"NextTokenLab(prompt=...) / {name}"] = (
            lambda k, t=text: NextTokenLab(k.model, k.chars, t), gives(shows_picture_or_notice))
        rows[f"AttentionLab(text=...) / {name}"] = (
            lambda k, t=text: AttentionLab(k.model, k.chars, t), gives(shows_picture_or_notice))
    return rows


# --- everything else: ids, settings, tensors, configurations, tokenizers, files ------------------------

QKV = torch.zeros(1, 2, 4, 8)  # (B, nh, T, hs)


OTHER_ROWS: dict[str, tuple[Callable[[Kit], Any], Outcome]] = {
    # unknown token ids
    "decode an id past the vocabulary": (
        lambda k: k.chars.decode([k.vocab + 5]),
        fails(ValueError, r"not in the vocabulary.*vocab_size")),
    "decode a negative id": (lambda k: k.bpe.decode([-1]), fails(ValueError, "Token id -1 is not in the vocabulary")),
    "decode float ids": (lambda k: k.chars.decode([1.0, 2.0]), fails(TypeError, "integer token ids")),
    "decode a str": (lambda k: k.chars.decode("abc"), fails(TypeError, "sequence of integer token ids")),
    "token_strings of an unknown id": (
        lambda k: k.words.token_strings([10**6]),
        fails(ValueError, "decode ids made by this same tokenizer")),
    "model on an id past the vocabulary": (
        lambda k: k.model(torch.tensor([[1, k.vocab]])),
        fails(ValueError, r"outside the vocabulary.*tokenizer and the model do not match")),
    "model on a negative id": (lambda k: k.model(torch.tensor([[-1, 2]])), fails(ValueError, "token id -1")),
    "generate_ids from an unknown id": (
        lambda k: generate_ids(k.model, [1, k.vocab + 3], 2),
        fails(ValueError, r"token id \d+ at .*outside the vocabulary")),
    "NextTokenLab.append an unknown id": (
        lambda k: NextTokenLab(k.model, k.chars, "alice").append(k.vocab + 5),
        fails(ValueError, "token id must be from 0 to")),
    "next_token_logits of an unknown id": (
        lambda k: next_token_logits(k.model, [k.vocab + 5]),
        fails(ValueError, "outside the vocabulary")),
    "next_token_logits of no ids": (
        lambda k: next_token_logits(k.model, []),
        fails(ValueError, "no tokens to continue")),
    "sampled_probabilities of an unknown id": (
        lambda k: sampled_probabilities(k.model, [1, k.vocab + 5], 1),
        fails(ValueError, "outside the vocabulary")),
    "language_model_loss with a target past the vocabulary": (
        lambda k: language_model_loss(torch.zeros(1, 3, 5), torch.tensor([[0, 1, 5]])),
        fails(ValueError, r"target.*outside the vocabulary")),
    "language_model_loss with float targets": (
        lambda k: language_model_loss(torch.zeros(1, 3, 5), torch.zeros(1, 3)),
        fails(TypeError, "targets must hold integer")),
    "train on ids past the vocabulary": (
        lambda k: train(GPT(k.model.config), k.ids % k.vocab + k.vocab, k.ids, k.config(), progress=False),
        fails(ValueError, "outside the vocabulary")),
    # temperature
    "reweight temperature -1": (
        lambda k: reweight(torch.zeros(5), temperature=-1),
        fails(ValueError, "temperature must be >= 0")),
    "reweight temperature 0 is greedy": (lambda k: reweight(torch.tensor([0.0, 2.0, 1.0]), temperature=0),
                                          gives(lambda p, k: p.tolist() == [0.0, 1.0, 0.0])),
    "reweight temperature 'hot'": (
        lambda k: reweight(torch.zeros(5), temperature="hot"),
        fails(TypeError, "temperature must be a number")),
    "reweight temperature nan": (
        lambda k: reweight(torch.zeros(5), temperature=float("nan")),
        fails(TypeError, "temperature")),
    "reweight temperature inf": (
        lambda k: reweight(torch.zeros(5), temperature=float("inf")),
        fails(ValueError, "finite")),
    "generate temperature -0.5": (
        lambda k: generate(k.model, k.chars, "alice", 3, temperature=-0.5),
        fails(ValueError, "temperature must be >= 0")),
    "generate temperature 0 is greedy and seed-free": (
        lambda k: (generate(k.model, k.chars, "alice", 5, temperature=0, seed=1),
                   generate(k.model, k.chars, "alice", 5, temperature=0, seed=2)),
        gives(lambda pair, k: pair[0] == pair[1])),
    "next_token_distribution temperature 0": (
        lambda k: next_token_distribution(k.model, k.chars, "alice", temperature=0),
        gives(lambda p, k: float(p.max()) == 1.0)),
    "sampled_probabilities temperature -1": (
        lambda k: sampled_probabilities(k.model, [1, 2, 3], 1, temperature=-1),
        fails(ValueError, "temperature")),
    "sampling_view temperature -1": (
        lambda k: sampling_view(torch.zeros(30), temperature=-1),
        fails(ValueError, "temperature must be >= 0")),
    "SamplingLab temperature -1": (
        lambda k: SamplingLab(k.model, k.chars, temperature=-1),
        fails(ValueError, "temperature must be >= 0")),
    "SamplingLab temperature 0": (lambda k: SamplingLab(k.model, k.chars, "alice", temperature=0),
                                  gives(lambda lab, k: lab.view().kept == 1 and lab.notice_text == "")),
    "SamplingLab temperature slider moved to 0": (
        lambda k: setattr(k.lab(SamplingLab).temperature, "value", 0.0) or k.lab(SamplingLab),
        gives(lambda lab, k: lab.view().kept == 1 and shows_picture_or_notice(lab, k))),
    "TrainingDashboard temperature -1": (
        lambda k: TrainingDashboard(k.chars, temperature=-1),
        fails(ValueError, "temperature must be a number >= 0")),
    "TrainingDashboard temperature 0": (
        lambda k: TrainingDashboard(k.chars, temperature=0),
        gives(lambda d, k: d.temperature == 0.0)),
    # top-p
    "reweight top_p 0": (
        lambda k: reweight(torch.zeros(5), top_p=0.0),
        fails(ValueError, r"top_p must be in \(0, 1\]")),
    "reweight top_p 1.5": (
        lambda k: reweight(torch.zeros(5), top_p=1.5),
        fails(ValueError, r"top_p must be in \(0, 1\]")),
    "reweight top_p -0.1": (
        lambda k: reweight(torch.zeros(5), top_p=-0.1),
        fails(ValueError, r"top_p must be in \(0, 1\]")),
    "reweight top_p 1 keeps everything": (
        lambda k: reweight(torch.zeros(4), top_p=1),
        gives(lambda p, k: p.tolist() == [0.25] * 4)),
    "reweight top_p '0.9'": (
        lambda k: reweight(torch.zeros(5), top_p="0.9"),
        fails(TypeError, "top_p must be a number")),
    "generate top_p 2": (lambda k: generate(k.model, k.chars, "alice", 3, top_p=2.0), fails(ValueError, "top_p")),
    "next_token_distribution top_p 0": (
        lambda k: next_token_distribution(k.model, k.chars, "a", top_p=0),
        fails(ValueError, "top_p")),
    "SamplingLab top_p 0": (
        lambda k: SamplingLab(k.model, k.chars, top_p=0.0),
        fails(ValueError, r"top_p must be in \(0, 1\]")),
    "SamplingLab top_p 1.5": (
        lambda k: SamplingLab(k.model, k.chars, top_p=1.5),
        fails(ValueError, r"top_p must be in \(0, 1\]")),
    # top-k
    "reweight top_k 0": (
        lambda k: reweight(torch.zeros(5), top_k=0),
        fails(ValueError, r"top_k must be >= 1 \(or None")),
    "reweight top_k larger than the vocabulary keeps everything": (
        lambda k: reweight(torch.zeros(4), top_k=1000), gives(lambda p, k: p.tolist() == [0.25] * 4)),
    "reweight top_k 2.5": (
        lambda k: reweight(torch.zeros(5), top_k=2.5),
        fails(TypeError, "top_k must be a whole number")),
    "reweight top_k True": (
        lambda k: reweight(torch.zeros(5), top_k=True),
        fails(TypeError, "top_k must be a whole number")),
    "generate top_k 0": (
        lambda k: generate(k.model, k.chars, "alice", 3, top_k=0),
        fails(ValueError, "top_k must be >= 1")),
    "generate top_k larger than the vocabulary": (
        lambda k: (generate_ids(k.model, [1, 2], 6, top_k=10 * k.vocab, seed=3),
                   generate_ids(k.model, [1, 2], 6, seed=3)),
        gives(lambda pair, k: pair[0] == pair[1])),
    "SamplingLab top_k 0": (lambda k: SamplingLab(k.model, k.chars, top_k=0),
                            fails(ValueError, "top_k must be >= 1")),
    "SamplingLab top_k larger than the vocabulary": (
        lambda k: SamplingLab(k.model, k.chars, "alice", top_k=k.vocab + 100),
        gives(lambda lab, k: lab.top_k.value == k.vocab and lab.view().kept == k.vocab)),
    "top_predictions k 0": (
        lambda k: top_predictions(torch.ones(4) / 4, k.chars, 0),
        fails(ValueError, "k must be from 1 to 4")),
    "top_predictions k past the vocabulary": (
        lambda k: top_predictions(torch.ones(4) / 4, k.chars, 9),
        fails(ValueError, "k must be from 1 to 4")),
    "NextTokenLab k 0": (lambda k: NextTokenLab(k.model, k.chars, k=0), fails(ValueError, "k must be from 1 to")),
    "logit_lens top 0": (
        lambda k: logit_lens(k.model, k.chars, "alice", top=0),
        fails(ValueError, "top must be from 1 to")),
    "logit_lens top past the vocabulary": (
        lambda k: logit_lens(k.model, k.chars, "alice", top=k.vocab + 1),
        fails(ValueError, "top must be from 1 to")),
    "LogitLens top 0": (lambda k: LogitLens(k.model, k.chars, top=0), fails(ValueError, "top must be from 1 to")),
    # wrong tensor shapes and dtypes
    "model on float ids": (
        lambda k: k.model(torch.zeros(1, 4)),
        fails(TypeError, r"integers \(torch.long\).*ids.long\(\)")),
    "model on bool ids": (lambda k: k.model(torch.zeros(1, 4, dtype=torch.bool)), fails(TypeError, "Use ids.long()")),
    "model on a list": (
        lambda k: k.model([[1, 2]]),
        fails(TypeError, r"torch tensor of token ids, e.g. torch.tensor\(\[ids\]\)")),
    "model on 3-D ids": (
        lambda k: k.model(torch.zeros(1, 2, 3, dtype=torch.long)),
        fails(ValueError, r"shape \(batch, positions\)")),
    "model on no positions": (
        lambda k: k.model(torch.zeros(1, 0, dtype=torch.long)),
        fails(ValueError, "ids is empty")),
    "model on more positions than the context": (
        lambda k: k.model(torch.zeros(1, CONTEXT + 1, dtype=torch.long)),
        fails(ValueError, rf"keep the last {CONTEXT}")),
    "model on one unbatched sequence": (
        lambda k: k.model(torch.tensor([1, 2, 3])),
        gives(lambda out, k: out.shape == (3, k.vocab))),
    "model.trace on float ids": (lambda k: k.model.trace(torch.zeros(4)), fails(TypeError, "Use ids.long()")),
    "model with something else than a KVCache": (
        lambda k: k.model(torch.zeros(1, 4, dtype=torch.long), cache="cache"),
        fails(ValueError, "cache must be KVCache")),
    "attention on 3-D queries": (
        lambda k: scaled_dot_product_attention(QKV[0], QKV, QKV),
        fails(ValueError, r"4-D tensor \(batch, heads, positions, head size\)")),
    "attention on integer tensors": (
        lambda k: fused_scaled_dot_product_attention(QKV.long(), QKV, QKV),
        fails(TypeError, r"floating-point tensor.*\.float\(\)")),
    "attention keys and values of different shapes": (
        lambda k: scaled_dot_product_attention(QKV, QKV, torch.zeros(1, 2, 5, 8)), fails(ValueError, "same shape")),
    "attention with more queries than keys": (
        lambda k: scaled_dot_product_attention(QKV, QKV[:, :, :2], QKV[:, :, :2]), fails(ValueError, "more queries")),
    "KVCache of no layers": (lambda k: KVCache(0, 8), fails(ValueError, "must be positive")),
    "reweight of integer logits": (
        lambda k: reweight(torch.tensor([1, 2, 3])),
        fails(TypeError, "floating-point tensor")),
    "reweight of a scalar": (lambda k: reweight(torch.tensor(1.0)), fails(ValueError, "vocabulary dimension")),
    "reweight of NaN logits": (lambda k: reweight(torch.tensor([0.0, float("nan")])), fails(ValueError, "NaN")),
    "reweight of logits that are all -inf": (
        lambda k: reweight(torch.full((3,), float("-inf"))),
        fails(ValueError, "every logit is -inf")),
    "reweight of a list": (lambda k: reweight([0.0, 1.0]), fails(TypeError, "floating-point tensor")),
    "sampling_view of 2-D logits": (
        lambda k: sampling_view(torch.zeros(2, 5)),
        fails(TypeError, r"1-D tensor \(vocab_size,\)")),
    "top_predictions of 2-D probabilities": (
        lambda k: top_predictions(torch.zeros(2, 5), k.chars, 1),
        fails(TypeError, "1-D tensor")),
    "generate_ids from a batch": (
        lambda k: generate_ids(k.model, torch.tensor([[1, 2], [3, 4]]), 2),
        gives(lambda rows, k: [row[:2] for row in rows] == [[1, 2], [3, 4]] and all(len(r) == 4 for r in rows))),
    "generate_ids from prompts of different lengths": (
        lambda k: generate_ids(k.model, [[1, 2], [3]], 2),
        fails(ValueError, "same length")),
    "generate_ids from a 3-D tensor": (
        lambda k: generate_ids(k.model, torch.zeros(1, 1, 2, dtype=torch.long), 2),
        fails(ValueError, "one sequence .* or a batch")),
    "generate_ids from float ids": (
        lambda k: generate_ids(k.model, torch.tensor([1.0, 2.0]), 2),
        fails(ValueError, "integer tensor or a list")),
    "generate_ids from text": (
        lambda k: generate_ids(k.model, "alice", 2),
        fails(TypeError, r"token ids.*tokenizer.encode")),
    "generate_ids from no ids": (lambda k: generate_ids(k.model, [], 2), fails(ValueError, "give at least one token")),
    "generate_ids -1 new tokens": (
        lambda k: generate_ids(k.model, [1], -1),
        fails(ValueError, "max_new_tokens must be a whole number >= 0")),
    "generate_ids stop_tokens as text": (
        lambda k: generate_ids(k.model, [1], 2, stop_tokens="<|endoftext|>"),
        fails(TypeError, r"e.g. \[tokenizer.eot_id\]")),
    "language_model_loss of mismatched shapes": (
        lambda k: language_model_loss(torch.zeros(2, 3, 5), torch.zeros(2, 4, dtype=torch.long)),
        fails(ValueError, r"logits must be \(batch, positions, vocab\)")),
    "train on text": (
        lambda k: train(k.model, "alice", "bob", k.config(), progress=False),
        fails(TypeError, r"encode it first")),
    "train on 2-D ids": (
        lambda k: train(k.model, k.ids.view(2, -1), k.ids, k.config(), progress=False),
        fails(TypeError, "1-D sequence of integer token ids")),
    "train on float ids": (
        lambda k: train(k.model, k.ids.float(), k.ids, k.config(), progress=False),
        fails(TypeError, "integer token ids")),
    "train on a DataLoader": (
        lambda k: train(k.model, DataLoader(TokenWindows(k.ids, 8), 2), k.ids, k.config(), progress=False),
        fails(TypeError, "pass its dataset")),
    "train on too few ids for one window": (
        lambda k: train(k.model, k.ids[:5], k.ids, k.config(), progress=False),
        fails(ValueError, "give more text or a shorter context_length")),
    "train on fewer windows than a batch": (
        lambda k: train(k.model, k.ids[: 2 * CONTEXT], k.ids, k.config(batch_size=64), progress=False),
        fails(ValueError, "give more data or a smaller batch_size")),
    "train with a dict as config": (
        lambda k: train(k.model, k.ids, k.ids, {"max_steps": 2}, progress=False),
        fails(TypeError, "config must be a TrainingConfig")),
    "evaluate on no batches": (lambda k: evaluate(k.model, []), fails(ValueError, "at least one batch")),
    "TokenWindows longer than the ids": (
        lambda k: TokenWindows([1, 2, 3], 8),
        fails(ValueError, "give more text or a shorter context_length")),
    "TokenWindows stride 0": (
        lambda k: TokenWindows(k.ids, 8, 0),
        fails(ValueError, "stride must be a positive integer")),
    "split_ids validation fraction 1": (lambda k: split_ids(k.ids, 1.0), fails(ValueError, "strictly between 0 and 1")),
    "ShuffledBatches batch_size 0": (
        lambda k: ShuffledBatches(TokenWindows(k.ids, 8), 0),
        fails(ValueError, "batch_size must be a positive integer")),
    # configurations
    "GPTConfig width not divisible by its heads": (
        lambda k: GPTConfig(vocab_size=10, context_length=8, n_layer=1, n_head=3, n_embd=32),
        fails(ValueError, r"n_embd=32 must be divisible by n_head=3.*change n_head to one of \[1, 2, 4, 8, 16, 32\]")),
    "GPTConfig.preset with heads not dividing the width": (
        lambda k: GPTConfig.preset("tiny", vocab_size=10, n_head=5), fails(ValueError, "divisible by n_head=5")),
    "GPTConfig of no layers": (
        lambda k: GPTConfig(vocab_size=10, context_length=8, n_layer=0, n_head=1, n_embd=8),
        fails(ValueError, "n_layer must be at least 1")),
    "GPTConfig with a float width": (
        lambda k: GPTConfig(vocab_size=10, context_length=8, n_layer=1, n_head=1, n_embd=8.0),
        fails(TypeError, "n_embd must be an int")),
    "GPTConfig dropout 1": (
        lambda k: GPTConfig(vocab_size=10, context_length=8, n_layer=1, n_head=1, n_embd=8, dropout=1.0),
        fails(ValueError, r"dropout must be in \[0, 1\)")),
    "GPTConfig.preset without a vocabulary": (
        lambda k: GPTConfig.preset("tiny"),
        fails(ValueError, "vocab_size=tokenizer.vocab_size")),
    "GPTConfig.preset unknown": (lambda k: GPTConfig.preset("gpt5"), fails(ValueError, r"choose one of \[")),
    "GPTConfig.preset misspelt field": (
        lambda k: GPTConfig.preset("tiny", vocab_size=10, n_heads=2),
        fails(TypeError, r"no field\(s\) \['n_heads'\]")),
    "GPT of a dict": (lambda k: GPT({"vocab_size": 10}), fails(TypeError, r"GPTConfig.preset\('tiny'")),
    "TrainingConfig max_steps 0": (
        lambda k: TrainingConfig(max_steps=0),
        fails(ValueError, "max_steps must be a positive integer")),
    "TrainingConfig learning rate as text": (
        lambda k: TrainingConfig(learning_rate="1e-3"),
        fails(TypeError, "learning_rate must be a number")),
    "TrainingConfig negative learning rate": (
        lambda k: TrainingConfig(learning_rate=-1e-3),
        fails(ValueError, r"learning_rate must be positive \(e.g. 1e-3\)")),
    "TrainingConfig betas out of range": (
        lambda k: TrainingConfig(betas=(0.9, 1.0)),
        fails(ValueError, r"betas must be two numbers in \[0, 1\)")),
    "seed_everything -1": (lambda k: seed_everything(-1), fails(ValueError, "non-negative integer")),
    "TinyWorld seed as text": (lambda k: TinyWorld("0"), fails(TypeError, "seed must be an int")),
    "TinyWorld unknown kind": (lambda k: TinyWorld(0).document("poem"), fails(ValueError, "kind must be one of")),
    "TinyWorld -1 documents": (lambda k: TinyWorld(0).documents(-1), fails(ValueError, "non-negative int")),
    "insert_secret of an empty secret": (
        lambda k: insert_secret("a\nb", "", 2),
        fails(ValueError, "non-empty single-line")),
    "NGramModel.train n 0": (lambda k: NGramModel.train("abc", 0), fails(ValueError, "n must be a whole number >= 1")),
    "NGramModel.train on nothing": (lambda k: NGramModel.train([], 2), fails(ValueError, "non-empty list of tokens")),
    "WordCountClassifier with one label": (
        lambda k: WordCountClassifier.train(["a", "b"], ["x", "x"]),
        fails(ValueError, "at least two labels")),
    "BPETokenizer.train vocabulary below 257": (
        lambda k: BPETokenizer.train("abc", 100),
        fails(ValueError, "at least 257")),
    "BPETokenizer.encode of a lone surrogate": (
        lambda k: k.bpe.encode("ab\ud800"),
        fails(ValueError, "lone surrogate")),
    "encode of bytes": (
        lambda k: k.chars.encode(b"alice"),
        fails(TypeError, r"Decode bytes first, e.g. data.decode\('utf-8'\)")),
    "special token typed, not allowed": (
        lambda k: k.bpe.encode("<|endoftext|>", allow_special=False),
        gives(lambda ids, k: k.bpe.eot_id not in ids and len(ids) > 1)),
    # a tokenizer that does not match the model
    "next_token_distribution with another model's tokenizer": (
        lambda k: next_token_distribution(k.model, k.other, "alice"),
        fails(ValueError, "use the tokenizer the model was trained with")),
    "generate with another model's tokenizer": (
        lambda k: generate(k.model, k.other, "alice", 3),
        fails(ValueError, "use the tokenizer the model was trained with")),
    "generate with a BPE tokenizer larger than the model": (
        lambda k: generate(k.model, k.bpe, "alice", 3),
        fails(ValueError, "tokenizer has 300 tokens but the model knows")),
    "attention_maps with another model's tokenizer": (
        lambda k: attention_maps(k.model, k.other, "alice"),
        fails(ValueError, "the tokenizer the model was trained with")),
    "logit_lens with another model's tokenizer": (
        lambda k: logit_lens(k.model, k.other, "alice"), fails(ValueError, "the tokenizer the model was trained with")),
    "nats_per_character with another model's tokenizer": (
        lambda k: nats_per_character(k.model, k.bpe, "alice is here"),
        fails(ValueError, "the tokenizer the model was trained with")),
    "continuation_log_probs with another model's tokenizer": (
        lambda k: continuation_log_probs(k.model, k.bpe, ["alice is"], [" here"]),
        fails(ValueError, "the tokenizer the model was trained with")),
    "NextTokenLab with another model's tokenizer": (
        lambda k: NextTokenLab(k.model, k.other), fails(ValueError, "the tokenizer the model was trained with")),
    "SamplingLab with another model's tokenizer": (
        lambda k: SamplingLab(k.model, k.other), fails(ValueError, "the tokenizer the model was trained with")),
    "AttentionLab with another model's tokenizer": (
        lambda k: AttentionLab(k.model, k.other), fails(ValueError, "the tokenizer the model was trained with")),
    "LogitLens with another model's tokenizer": (
        lambda k: LogitLens(k.model, k.other), fails(ValueError, "the tokenizer the model was trained with")),
    "TrainingDashboard sampling with another model's tokenizer": (
        lambda k: dashboard_event(TrainingDashboard(k.other, "alice", max_new_tokens=3), k.model),
        gives(lambda d, k: "the tokenizer the model was trained with" in d.notice_text)),
    **{f"{lab.__name__} given a str as tokenizer": (lambda k, lab=lab: lab(k.model, "characters"),
                                                     fails(TypeError, "must be a helpers.tokenizers Tokenizer"))
       for lab in (NextTokenLab, SamplingLab, AttentionLab, LogitLens)},
    "a lab given a str as model": (
        lambda k: LogitLens("gpt2", k.chars),
        fails(TypeError, r"model must be a helpers.model.GPT")),
    "generate given a str as model": (
        lambda k: generate("gpt2", k.chars, "a", 2),
        fails(TypeError, "model must be a helpers.model.GPT")),
    "TokenizerLab of no tokenizers": (lambda k: TokenizerLab({}), fails(ValueError, "Give at least one tokenizer")),
    "TokenizerLab compare with an unknown name": (
        lambda k: TokenizerLab({"c": k.chars}, compare="gpt2"),
        fails(ValueError, "compare must be one of")),
    # other lab settings
    "a lab given None as text": (
        lambda k: AttentionLab(k.model, k.chars, None),
        fails(TypeError, "text must be a str")),
    "NextTokenLab given a number as prompt": (
        lambda k: NextTokenLab(k.model, k.chars, 42),
        fails(TypeError, "must be a str")),
    "TokenizerLab given bytes as text": (
        lambda k: TokenizerLab({"c": k.chars}, b"alice"),
        fails(TypeError, "text must be a str")),
    "AttentionLab layer past the model": (
        lambda k: AttentionLab(k.model, k.chars, layer=2),
        fails(ValueError, "layer must be from 0 to 1")),
    "AttentionLab head -1": (
        lambda k: AttentionLab(k.model, k.chars, head=-1),
        fails(ValueError, "head must be from 0 to 3")),
    "AttentionLab unknown view": (
        lambda k: AttentionLab(k.model, k.chars, view="heads"),
        fails(ValueError, "view must be one of")),
    "AttentionLab query past the text": (lambda k: AttentionLab(k.model, k.chars, "alice", query=99),
                                         gives(lambda lab, k: lab.query.value == 4 and lab.notice_text == "")),
    "attention_from head past the model": (
        lambda k: attention_from(attention_maps(k.model, k.chars, "alice"), 0, 4, 0),
        fails(ValueError, "head must be from 0 to 3")),
    "LogitLens position past the text": (lambda k: LogitLens(k.model, k.chars, "alice", position=99),
                                         gives(lambda lab, k: lab.position.value == 4)),
    "SamplingLab max_new_tokens 0": (
        lambda k: SamplingLab(k.model, k.chars, max_new_tokens=0),
        fails(ValueError, "max_new_tokens must be from 1 to")),
    "NextTokenLab seed -1": (
        lambda k: NextTokenLab(k.model, k.chars, seed=-1),
        fails(ValueError, "seed must be from 0 to")),
    "TrainingDashboard sample_every 0": (
        lambda k: TrainingDashboard(sample_every=0),
        fails(ValueError, "sample_every must be from 1 to")),
    "TrainingDashboard given a bad event": (
        lambda k: dashboard_event(TrainingDashboard(), k.model, event=object()),
        gives(lambda d, k: d.notice_text.startswith("The dashboard could not use this evaluation"))),
    "save_png to a .jpg": (
        lambda k: k.lab(AttentionLab).save_png(k.tmp / "lab.jpg"),
        fails(ValueError, r"give a path ending in \.png")),
    # fine-tuning
    "GPTClassifier of 1 class": (
        lambda k: GPTClassifier(k.model, 1),
        fails(ValueError, "n_classes must be an integer of at least 2")),
    "GPTClassifier on float ids": (
        lambda k: GPTClassifier(k.model, 2)(torch.zeros(1, 3)),
        fails(TypeError, "Use ids.long()")),
    "GPTClassifier lengths past the text": (
        lambda k: GPTClassifier(k.model, 2)(torch.zeros(1, 3, dtype=torch.long), torch.tensor([5])),
        fails(ValueError, r"lengths must be 1 integers in \[1, 3\]")),
    "ClassificationData with an unknown label": (
        lambda k: ClassificationData(k.chars, ["a"], ["maybe"], ["yes", "no"], max_length=8),
        fails(ValueError, "filter them out first")),
    "ClassificationData of no texts": (
        lambda k: ClassificationData(k.chars, [], [], ["yes", "no"], max_length=8), fails(ValueError, "at least one")),
    "ClassificationData of an empty text": (
        lambda k: ClassificationData(k.chars, ["", "alice"], ["yes", "no"], ["yes", "no"], max_length=8),
        gives(lambda data, k: data.lengths.tolist() == [1, 6])),
    "LoRALinear rank 0": (
        lambda k: LoRALinear(torch.nn.Linear(4, 4), rank=0),
        fails(ValueError, r"rank must be an integer in \[1, 4\]")),
    "format_prompt template without the slot": (
        lambda k: format_prompt("hi", "no slot"),
        fails(ValueError, r"must contain \{instruction\}")),
    "collate_instruction too long": (
        lambda k: collate_instruction([1, 2], [3, 4], 2, 0),
        fails(ValueError, "at most 3 fit")),
    "InstructionData of no pairs": (
        lambda k: InstructionData(k.chars, [], template="{instruction}"),
        fails(ValueError, "at least one")),
    "probes: a prompt with two words as the word": (
        lambda k: accuracy(k.model, k.chars, [MinimalPair("alice is", "two words", "one")]),
        fails(ValueError, "one word each")),
    "probes: accuracy of no pairs": (
        lambda k: accuracy(k.model, k.chars, []),
        fails(ValueError, "at least one MinimalPair")),
    "probes: a word that does not fit the context": (
        lambda k: accuracy(k.model, k.chars, [MinimalPair("alice", "a" * 40, "b")]),
        fails(ValueError, "must fit the context")),
    "continuation_log_probs: one prompt, two continuations": (
        lambda k: continuation_log_probs(k.model, k.chars, ["alice is"], [" here", " there"]),
        fails(ValueError, "one continuation per prompt")),
    "continuation_log_probs: an empty continuation": (
        lambda k: continuation_log_probs(k.model, k.chars, ["alice is"], [""]),
        fails(ValueError, "must add tokens")),
    "probes: an empty prompt": (
        lambda k: accuracy(k.model, k.chars, [MinimalPair("", "is", "are")]), gives(lambda acc, k: acc in (0.0, 1.0))),
    # files and names
    "load_checkpoint of an empty folder": (lambda k: load_checkpoint(k.tmp), fails(CheckpointError, "no checkpoint")),
    "load_weights into another shape": (
        lambda k: load_checkpoint(k.checkpoint_dir).load_weights(
            GPT(GPTConfig(vocab_size=k.vocab, context_length=CONTEXT, n_layer=1, n_head=2, n_embd=16))),
        fails(ValueError, "do not fit this GPT")),
    "save_checkpoint of something else than a model": (
        lambda k: save_checkpoint(k.tmp / "not-a-model", "my model"),
        fails(TypeError, r"model must be a torch nn.Module")),
    "save_checkpoint at step -1": (
        lambda k: save_checkpoint(k.tmp / "negative", k.model, step=-1),
        fails(ValueError, "non-negative integer")),
    "load_tokenizer of a missing file": (
        lambda k: load_tokenizer(k.tmp / "missing.json"),
        fails(FileNotFoundError, r"tokenizer.save\(path\)")),
    "load_tokenizer of a checkpoint manifest": (
        lambda k: load_tokenizer(k.checkpoint_dir / "checkpoint.json"), fails(ValueError, "not a tokenizer file")),
    "downloads.load of an unknown name": (
        lambda k: load("gpt5-weights.bin"),
        fails(ValueError, "Unknown download.*Known:")),
    "downloads.load of a path": (lambda k: load("../../etc/passwd"), fails(ValueError, "Known:")),
    "cache_dir leaving the cache": (
        lambda k: cache_dir("..", "..", "etc"),
        fails(ValueError, "would leave the cache folder")),
    "pretrained of an unknown name": (lambda k: pretrained("tinyworld2-huge"), fails(ValueError, r"choose one of \[")),
}


def dashboard_event(dashboard: TrainingDashboard, model, event=None) -> TrainingDashboard:
    """Give the dashboard one evaluation, as helpers.training.train does."""
    dashboard(event or TrainingEvent(0, 10, {"train_loss": 3.0, "val_loss": 3.1}, model, History()))
    return dashboard


ROWS = {**text_rows(), **OTHER_ROWS}


@pytest.mark.parametrize("name", ROWS)
def test_bad_input(kit, name):
    call, outcome = ROWS[name]
    if outcome.error is not None:
        with pytest.raises(outcome.error, match=outcome.match):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                call(kit)
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call(kit)
    assert outcome.check(result, kit), f"wrong result: {result!r}"
    if outcome.warns:
        assert any(outcome.warns in str(w.message) for w in caught), [str(w.message) for w in caught]
