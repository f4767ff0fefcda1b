"""Measuring a learned gender-profession association and reducing it with counterfactual data augmentation.

- `p_he(model, tokenizer, profession)`: P(he) / (P(he) + P(she)) after "the <profession> said that", each
  pronoun scored as the whole continuation " he " / " she " (works for character and BPE tokenizers).
- `greedy_pronoun`: the pronoun greedy decoding picks there (it always takes the likelier one).
- `stereotype_score`: a CrowS-Pairs-style score (Nangia et al., 2020): the share of minimal pairs
  ("the nurse said that she was tired ." vs "... he ...") where the stereotyped sentence scores higher;
  0.5 means no preference.
- `counterfactual_augment(texts)`: every text plus its gender-swapped copy (helpers.tinyworld.gender_swap).

Simplified on purpose: two pronouns, TinyWorld's sixteen professions, and whole-sentence log-likelihoods.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from helpers.experiments.memorization import sequence_log_likelihoods
from helpers.tinyworld import gender_swap


def prompt_for(profession: str) -> str:
    """The probe prompt, e.g. "the doctor said that"."""
    return f"the {profession} said that"


def p_he(model, tokenizer, profession: str) -> float:
    """P(he) / (P(he) + P(she)) for the pronoun after "the <profession> said that"."""
    he, she = (float(sequence_log_likelihoods(model, tokenizer, "", [prompt_for(profession) + f" {p} "])[0])
               - float(sequence_log_likelihoods(model, tokenizer, "", [prompt_for(profession)])[0])
               for p in ("he", "she"))
    return 1.0 / (1.0 + math.exp(she - he))


def greedy_pronoun(model, tokenizer, profession: str) -> str:
    """The pronoun greedy decoding writes after the probe prompt: the likelier of "he" and "she"."""
    return "he" if p_he(model, tokenizer, profession) > 0.5 else "she"


def stereotype_score(model, tokenizer, pairs: Sequence[tuple[str, str]]) -> float:
    """Share of (stereotyped, anti-stereotyped) sentence pairs where the model prefers the stereotyped one."""
    if not pairs:
        raise ValueError("pairs must hold at least one (stereotyped, anti-stereotyped) sentence pair.")
    wins = 0
    for stereotyped, anti in pairs:
        scores = [float(sequence_log_likelihoods(model, tokenizer, "", [text])[0]) for text in (stereotyped, anti)]
        wins += scores[0] > scores[1]
    return wins / len(pairs)


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
