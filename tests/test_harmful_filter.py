"""The harmful-content filter: error rates count the two mistakes; the guard refuses at the prompt or the reply."""

import pytest
import torch

from helpers.experiments.harmful_filter import REFUSAL, error_rates, flag_texts, guarded_generate
from helpers.finetuning import GPTClassifier
from helpers.model import GPT, GPTConfig
from helpers.tokenizers import CharacterTokenizer


def test_error_rates_count_false_positives_and_false_negatives():
    flagged = [True, False, True, True, False]
    harmful = [True, True, False, True, False]
    assert error_rates(flagged, harmful) == (pytest.approx(1 / 2), pytest.approx(1 / 3))
    with pytest.raises(ValueError, match="one flag per text"):
        error_rates([True], [True, False])
    with pytest.raises(ValueError, match="both harmful and harmless"):
        error_rates([True, False], [True, True])


def test_guarded_generate_refuses_at_the_prompt_or_at_the_reply():
    tokenizer = CharacterTokenizer.train("abc hurt .\n")
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("tiny", vocab_size=tokenizer.vocab_size, context_length=32))
    assert guarded_generate(model, tokenizer, "hurt", lambda text: "hurt" in text) == (REFUSAL, "prompt")
    text, refused_at = guarded_generate(model, tokenizer, "abc", lambda text: False, max_new_tokens=5)
    assert text.startswith("abc") and refused_at == ""
    assert guarded_generate(model, tokenizer, "abc", lambda text: len(text) > 3, max_new_tokens=5,
                            check_prompt=False) == (REFUSAL, "reply")


def test_flag_texts_reads_the_classifier_head():
    tokenizer = CharacterTokenizer.train("abc .\n")
    torch.manual_seed(0)
    classifier = GPTClassifier(GPT(GPTConfig.preset("tiny", vocab_size=tokenizer.vocab_size, context_length=32)), 2)
    with torch.no_grad():
        classifier.head.bias.copy_(torch.tensor([0.0, 100.0]))  # every text lands in "harmful"
    assert flag_texts(classifier, tokenizer, ["abc .", "a"]) == [True, True]
