"""DPO: the loss is log 2 at the reference, and tuning with helpers.training.train prefers the chosen."""

import math

import pytest
import torch

from helpers.experiments.preference_tuning import dpo_loss, dpo_train, verdict_sentiment
from helpers.model import GPT, GPTConfig
from helpers.scoring import continuation_log_probs
from helpers.tinyworld import Lexicon
from helpers.tokenizers import CharacterTokenizer


def tiny_model(tokenizer):
    torch.manual_seed(0)
    return GPT(GPTConfig.preset("tiny", vocab_size=tokenizer.vocab_size, context_length=32))


def test_dpo_loss_is_log_two_when_the_policy_equals_the_reference():
    scores = torch.tensor([-3.0, -1.0])
    assert float(dpo_loss(scores, scores - 1, scores, scores - 1)) == pytest.approx(math.log(2))
    assert float(dpo_loss(scores + 1, scores - 1, scores, scores - 1)) < math.log(2)  # chosen went up


def test_dpo_training_raises_the_chosen_over_the_rejected():
    tokenizer = CharacterTokenizer.train("it was good bad .\n")
    model = tiny_model(tokenizer)
    triples = [("\nit was", " good .", " bad .")] * 4

    def margin():
        good, bad = continuation_log_probs(model, tokenizer, ["\nit was"] * 2, [" good .", " bad ."], after="")
        return float(good - bad)

    before = margin()
    history = dpo_train(model, tokenizer, triples, steps=15, batch_size=4, learning_rate=3e-3, beta=0.5)
    assert history.step == [0, 15] and history.train_loss[0] == pytest.approx(math.log(2), abs=1e-4)
    assert history.train_loss[-1] < math.log(2) and margin() > before + 1


def test_verdict_sentiment_reads_negation():
    lexicon = Lexicon()
    assert verdict_sentiment("really great", lexicon) == "positive"
    assert verdict_sentiment("not bad at all", lexicon) == "positive"
    assert verdict_sentiment("not good", lexicon) == "negative"
    assert verdict_sentiment("tired", lexicon) is None
