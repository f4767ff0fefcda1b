"""Interactive labs for the notebooks: pure ipywidgets + matplotlib, no JavaScript of our own, no network.

drawing.py             how the labs draw: one figure style, PNG output, text as coloured token boxes
base.py                the shared Lab: the picture and its PNG fallback, the notice line, quiet updates
tokenizer_lab.py       TokenizerLab: text as coloured tokens with ids, two tokenizers side by side   (chapter 1)
next_token_lab.py      NextTokenLab: top-k next tokens, entropy, a generation walked token by token   (chapter 1)
sampling_lab.py        SamplingLab: temperature, top-k, top-p on a cached distribution; seeded text   (chapter 4)
attention_lab.py       AttentionLab: one head, all heads of a layer, text coloured by attention      (chapters 3, 7, 8)
training_dashboard.py  TrainingDashboard: live loss curves and samples, a callback of train()          (chapters 5, 6)
logit_lens.py          LogitLens: the top predictions read out after each layer                        (chapters 7, 8)
sweep_samples_lab.py   SweepSamplesLab: a slider over model sizes and the text each one wrote          (chapter 2)

Every lab keeps its computation in plain functions (tested without a browser), displays as a widget
with an image/png fallback, and saves its current view with `lab.save_png(path)`.
"""

from helpers.widgets.attention_lab import AttentionLab, AttentionMaps, attention_from, attention_maps
from helpers.widgets.base import Lab
from helpers.widgets.logit_lens import LensReadout, LogitLens, logit_lens
from helpers.widgets.next_token_lab import (
    NextTokenLab,
    Prediction,
    entropy_bits,
    next_token_logits,
    next_token_probabilities,
    sampled_probabilities,
    top_predictions,
)
from helpers.widgets.sampling_lab import SamplingLab, SamplingView, sampling_view
from helpers.widgets.sweep_samples_lab import SweepSamplesLab
from helpers.widgets.tokenizer_lab import Tokenization, TokenizerLab, default_tokenizers, tokenize
from helpers.widgets.training_dashboard import Sample, TrainingDashboard

__all__ = [
    "AttentionLab",
    "AttentionMaps",
    "Lab",
    "LensReadout",
    "LogitLens",
    "NextTokenLab",
    "Prediction",
    "Sample",
    "SamplingLab",
    "SamplingView",
    "SweepSamplesLab",
    "Tokenization",
    "TokenizerLab",
    "TrainingDashboard",
    "attention_from",
    "attention_maps",
    "default_tokenizers",
    "entropy_bits",
    "logit_lens",
    "next_token_logits",
    "next_token_probabilities",
    "sampled_probabilities",
    "sampling_view",
    "tokenize",
    "top_predictions",
]
