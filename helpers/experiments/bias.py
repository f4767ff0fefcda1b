"""Measuring a learned gender-profession association, its amplification by greedy decoding, and a fix (CDA).

- `p_he(model, tokenizer, profession, context)`: P(he) / (P(he) + P(she)) after "<context>the <profession>
  said that", each pronoun scored as the whole continuation " he " / " she " (character or BPE tokenizers).
- `stereotype_probabilities`: P(stereotyped pronoun) for every stereotyped profession in every context; their
  mean is what sampling reproduces, the share above 0.5 is what greedy decoding writes (it always takes the
  likelier pronoun, so a 90/10 preference becomes 100/0).
- `stereotype_score`: a CrowS-Pairs-style score (Nangia et al., 2020): the share of minimal pairs
  ("the nurse said that she was tired ." vs "... he ...") where the stereotyped sentence scores higher;
  0.5 means no preference.
- `counterfactual_augment(texts)`: every text plus its gender-swapped copy (helpers.tinyworld2.gender_swap).

Simplified on purpose: two pronouns, TinyWorld 2's sixteen professions, and whole-sentence log-likelihoods.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from helpers.scoring import continuation_log_probs
from helpers.tinyworld2 import gender_swap


def prompt_for(profession: str, context: str = "") -> str:
    """The probe prompt, e.g. "the doctor said that", after an optional context ("the chef said that ... . ")."""
    return f"{context}the {profession} said that"


def p_he(model, tokenizer, profession: str, context: str = "") -> float:
    """P(he) / (P(he) + P(she)) for the pronoun after "<context>the <profession> said that", at a document start."""
    prompt = prompt_for(profession, context)
    he, she = continuation_log_probs(model, tokenizer, [prompt, prompt], [" he ", " she "]).tolist()
    return 1.0 / (1.0 + math.exp(she - he))


def stereotype_probabilities(model, tokenizer, professions: Sequence[tuple[str, str]],
                             contexts: Sequence[str] = ("",)) -> list[float]:
    """P(stereotyped pronoun) after every (stereotyped profession, context) probe; unstereotyped ones are skipped."""
    probabilities = []
    for profession, stereotype in professions:
        if stereotype not in ("", "he", "she"):
            raise ValueError(f"a profession's stereotype must be 'he', 'she' or '', got {stereotype!r}.")
        for context in contexts if stereotype else ():
            p = p_he(model, tokenizer, profession, context)
            probabilities.append(p if stereotype == "he" else 1.0 - p)
    return probabilities


def greedy_pronoun(model, tokenizer, profession: str, context: str = "") -> str:
    """The pronoun greedy decoding writes after the probe prompt: the likelier of "he" and "she"."""
    return "he" if p_he(model, tokenizer, profession, context) > 0.5 else "she"


def stereotype_score(model, tokenizer, pairs: Sequence[tuple[str, str]]) -> float:
    """Share of (stereotyped, anti-stereotyped) sentence pairs where the model prefers the stereotyped one."""
    if not pairs:
        raise ValueError("pairs must hold at least one (stereotyped, anti-stereotyped) sentence pair.")
    sentences = [sentence for pair in pairs for sentence in pair]
    scores = continuation_log_probs(model, tokenizer, [""] * len(sentences), sentences).view(-1, 2)  # (N, 2)
    return int((scores[:, 0] > scores[:, 1]).sum()) / len(pairs)


def minimal_pairs(professions: Sequence[tuple[str, str]], clauses: Sequence[str]) -> list[tuple[str, str]]:
    """(stereotyped, anti-stereotyped) sentences for every stereotyped profession and clause."""
    pairs = []
    for profession, stereotype in professions:
        if not stereotype:
            continue
        other = "she" if stereotype == "he" else "he"
        for clause in clauses:
            pairs.append(tuple(f"the {profession} said that {p} {clause} ." for p in (stereotype, other)))
    return pairs


def counterfactual_augment(texts: Sequence[str]) -> list[str]:
    """Each text followed by its gender-swapped copy, so every pronoun appears as often with each profession."""
    return [variant for text in texts for variant in (text, gender_swap(text))]
