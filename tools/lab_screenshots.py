"""Draw the README's pictures of the labs into images/ (PNG, 900 pixels wide), one per lab.

    python tools/lab_screenshots.py                          # the chapters' reference model (committed weights)
    python tools/lab_screenshots.py --model tinyworld2-mini  # a smaller model, for a quick look
    python tools/lab_screenshots.py --out lab-preview         # a folder of your choice instead of images/

Each picture is the lab's own view (`lab.save_png`), the same PNG a notebook keeps next to the widget for
GitHub and nbviewer. The settings below are chosen to show what each lab is for: AttentionLab shows the
head that attends most from a pronoun to its antecedent in a TinyWorld story, found by search.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from helpers.downloads import DownloadError
from helpers.model import GPT, GPTConfig
from helpers.pretrained import REFERENCE_MODEL, pretrained
from helpers.tinyworld2 import TinyWorld
from helpers.tokenizers import CharacterTokenizer, WordTokenizer, gpt2_tokenizer
from helpers.training import TrainingConfig, train
from helpers.widgets import (
    AttentionLab,
    LogitLens,
    NextTokenLab,
    SamplingLab,
    TokenizerLab,
    TrainingDashboard,
    attention_maps,
)

IMAGES = Path(__file__).resolve().parent.parent / "images"
STORY_PROMPT = "alice is reading a book in the garden . she"


def pronoun_story(seed: int = 0, max_characters: int = 130):
    """A short TinyWorld 2 hero story, whose pronoun refers back to the hero named 20 and more words earlier."""
    for document in TinyWorld(seed).documents(400, "story", story_type="hero"):
        if len(document.text) <= max_characters:
            return document
    raise RuntimeError("no short pronoun story found; raise max_characters")


def token_at(offsets: list[int], character: int) -> int:
    """Index of the token whose text covers the character at this offset."""
    return max(i for i, start in enumerate(offsets) if start <= character)


def best_pronoun_head(model: GPT, tokenizer, document) -> tuple[int, int, int]:
    """(layer, head, query): the head that sends the most attention from the pronoun to its antecedent."""
    maps = attention_maps(model, tokenizer, document.text, max_tokens=model.config.context_length)
    offsets, position = [], 0
    for token_id in maps.ids:
        offsets.append(position)
        position += len(tokenizer.decode([token_id]))
    fields = document.fields
    query = token_at(offsets, fields["pronoun_char"])
    first = token_at(offsets, fields["antecedent_char"])
    last = token_at(offsets, fields["antecedent_char"] + len(fields["antecedent"]) - 1)
    on_antecedent = maps.weights[:, :, query, first : last + 1].sum(-1)  # (n_layer, n_head)
    layer, head = divmod(int(on_antecedent.argmax()), on_antecedent.shape[1])
    return layer, head, query


def comparison_tokenizers(tokenizer) -> dict[str, object]:
    """The chapter-1 tokenizers, the model's BPE, and GPT-2's when its files are available."""
    corpus = TinyWorld(0).corpus_text(300)
    tokenizers = {"TinyWorld 2 BPE": tokenizer, "characters": CharacterTokenizer.train(corpus),
                  "words": WordTokenizer.train(corpus)}
    try:
        tokenizers["GPT-2"] = gpt2_tokenizer()
    except DownloadError as error:
        print(f"GPT-2's tokenizer is not available ({error}); comparing with characters instead.")
    return tokenizers


def dashboard_run(tokenizer, steps: int) -> TrainingDashboard:
    """A short real training run of a tiny model, watched by the dashboard."""
    dashboard = TrainingDashboard(tokenizer, "alice is", sample_every=steps // 3, max_new_tokens=40,
                                  min_seconds_between_draws=0)
    text = TinyWorld(0).corpus_text(3000)
    ids = tokenizer.encode(text)
    cut = int(len(ids) * 0.9)
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("tiny", vocab_size=tokenizer.vocab_size, context_length=64))
    config = TrainingConfig(max_steps=steps, batch_size=16, learning_rate=3e-3, warmup_steps=20,
                            eval_every=max(1, steps // 12), eval_batches=4)
    train(model, ids[:cut], ids[cut:], config, callbacks=[dashboard], progress=False)
    return dashboard


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=REFERENCE_MODEL,
                        help=f"a helpers.pretrained name (default: {REFERENCE_MODEL})")
    parser.add_argument("--out", type=Path, default=IMAGES, help="folder for the PNGs (default: images/)")
    parser.add_argument("--training-steps", type=int, default=300, help="steps of the dashboard's training run")
    arguments = parser.parse_args()
    started = time.perf_counter()
    model, tokenizer = pretrained(arguments.model)
    model.eval()
    out = arguments.out
    out.mkdir(parents=True, exist_ok=True)

    tokenizers = comparison_tokenizers(tokenizer)
    other = "GPT-2" if "GPT-2" in tokenizers else "characters"
    TokenizerLab(tokenizers, "alice is reading a book . Tokenizers split unbelievably long words!",
                 compare=other).save_png(out / "lab-tokenizer.png")

    walk = NextTokenLab(model, tokenizer, "alice is reading a book in the", k=8)
    for _ in range(2):
        walk.append(walk.choice.value)  # the most likely token, twice: the next one is a real choice
    walk.save_png(out / "lab-next-token.png")

    sampling = SamplingLab(model, tokenizer, STORY_PROMPT, temperature=0.8, top_k=12, top_p=0.9, seed=0,
                           max_new_tokens=30)
    sampling.generate()
    sampling.save_png(out / "lab-sampling.png")

    story = pronoun_story()
    layer, head, query = best_pronoun_head(model, tokenizer, story)
    AttentionLab(model, tokenizer, story.text, layer=layer, head=head, query=query, view="tokens",
                 max_tokens=model.config.context_length).save_png(out / "lab-attention.png")
    AttentionLab(model, tokenizer, story.text, layer=layer, head=head, view="all heads",
                 max_tokens=model.config.context_length).save_png(out / "lab-attention-heads.png")

    dashboard_run(tokenizer, arguments.training_steps).save_png(out / "lab-training.png")

    LogitLens(model, tokenizer, "chloe is picking flowers by the river . she smiles").save_png(
        out / "lab-logit-lens.png")
    print(f"Wrote 7 pictures to {out} in {time.perf_counter() - started:.0f} s "
          f"(pronoun head: layer {layer}, head {head}).")


if __name__ == "__main__":
    main()
