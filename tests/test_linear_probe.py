"""The linear probe: it reads the residual stream at a prompt's last token, and on the committed reference model it
finds the verdict of held-out reviews where the model must say it, which the smallest model of the ladder has not
worked out."""

import pytest
import torch

from helpers.experiments.abilities import LABELLED_SEED, VERDICT_START, ChoiceItem, ability_tests
from helpers.experiments.linear_probe import LinearProbe, at_the_verdict, last_token_states
from helpers.pretrained import LADDER, pretrained
from helpers.tinyworld2 import DOCUMENT_SEPARATOR

FORMS = ("sentiment (plain)", "sentiment (negated)", "sentiment (sarcastic)")


def verdict_items(seed: int, n: int) -> list[ChoiceItem]:
    tests = ability_tests(n, seed=seed)
    return at_the_verdict([item for form in FORMS for item in tests[form].items])


@pytest.fixture(scope="module")
def smallest():
    return pretrained(LADDER[0], progress=False)


def test_the_features_are_the_last_tokens_residual_stream_after_the_chosen_block(smallest):
    model, tokenizer = smallest
    prompts = ["the cat is happy .", "i stayed at the hotel by the sea ."]
    states = last_token_states(model, tokenizer, prompts, layer=1)
    assert states.shape == (2, model.config.n_embd)
    for prompt, state in zip(prompts, states, strict=True):
        trace = model.trace(torch.tensor(tokenizer.encode(DOCUMENT_SEPARATOR + prompt)))
        torch.testing.assert_close(state, trace.hidden_states[1][-1])


def test_bad_input_gets_a_clear_message(smallest):
    model, tokenizer = smallest
    with pytest.raises(ValueError, match="list of prompts"):
        last_token_states(model, tokenizer, [])
    with pytest.raises(ValueError, match="layer must be between"):
        last_token_states(model, tokenizer, ["the cat ."], layer=model.config.n_layer + 1)
    one_answer = [ChoiceItem("the cat .", ((" a",), (" b",)), 0)] * 4
    with pytest.raises(ValueError, match="two different answers"):
        LinearProbe.fit(model, tokenizer, one_answer)


def test_the_verdict_items_go_on_to_where_the_verdict_is_said():
    items = verdict_items(LABELLED_SEED, 4)
    assert all(item.prompt.endswith(VERDICT_START) for item in items)
    assert {item.answer for item in items} == {0, 1}


def test_the_reference_model_carries_the_verdict_in_its_hidden_state_and_the_smallest_does_not(smallest):
    training, held_out = verdict_items(LABELLED_SEED, 100), verdict_items(1_000_003, 100)
    model, tokenizer = pretrained(LADDER[-1], progress=False)
    reference = LinearProbe.fit(model, tokenizer, training).test(held_out)
    small = LinearProbe.fit(*smallest, training).test(held_out)
    assert reference.accuracy >= 0.95 and reference.accuracy - 3 * reference.se > 0.5  # the majority class: 50%
    assert small.accuracy < 0.90 and reference.accuracy - small.accuracy > 3 * (reference.se + small.se)
