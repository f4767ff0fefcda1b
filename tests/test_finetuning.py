"""Tests of helpers.finetuning on tiny untrained models: shapes, freezing, LoRA, masking, errors."""

import pytest
import torch

from helpers.finetuning import (
    IGNORE_INDEX,
    ClassificationData,
    GPTClassifier,
    InstructionData,
    LoRALinear,
    accuracy_and_confusion,
    add_lora,
    classification_loss,
    collate_instruction,
    exact_match,
    format_prompt,
    set_trainable,
    trainable_parameters,
)
from helpers.model import GPT, GPTConfig
from helpers.tokenizers import CharacterTokenizer


@pytest.fixture
def tiny_gpt():
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=40, context_length=32, n_layer=2, n_head=2, n_embd=16))


@pytest.fixture
def tokenizer():
    return CharacterTokenizer.train("abcdefghijklmnopqrstuvwxyz :.?\n{}")


def test_head_shapes_and_last_real_token(tiny_gpt):
    classifier = GPTClassifier(tiny_gpt, 3)
    ids = torch.randint(0, 40, (4, 10))
    assert classifier(ids).shape == (4, 3)
    # right padding does not change the scores: the last real token never attends to later positions
    lengths = torch.tensor([6, 6, 6, 6])
    padded = ids.clone()
    padded[:, 6:] = 0
    assert torch.allclose(classifier(ids, lengths), classifier(padded, lengths), atol=1e-6)
    assert torch.allclose(classifier(ids[:, :6]), classifier(padded, lengths), atol=1e-6)


def test_bad_input_raises(tiny_gpt):
    with pytest.raises(ValueError, match="n_classes"):
        GPTClassifier(tiny_gpt, 1)
    with pytest.raises(TypeError, match="GPT"):
        GPTClassifier(torch.nn.Linear(2, 2), 2)
    classifier = GPTClassifier(tiny_gpt, 2)
    with pytest.raises(ValueError, match="lengths"):
        classifier(torch.zeros(2, 5, dtype=torch.long), torch.tensor([0, 5]))
    with pytest.raises(ValueError, match="which"):
        set_trainable(classifier, "middle")
    with pytest.raises(ValueError, match="rank"):
        LoRALinear(torch.nn.Linear(4, 4), rank=0)


def test_set_trainable_choices(tiny_gpt):
    classifier = GPTClassifier(tiny_gpt, 2)
    head = sum(p.numel() for p in classifier.head.parameters())
    assert set_trainable(classifier, "head") == head
    last = head + sum(p.numel() for module in (tiny_gpt.h[-1], tiny_gpt.ln_f) for p in module.parameters())
    assert set_trainable(classifier, "last_block") == last
    assert set_trainable(classifier, "all") == sum(p.numel() for p in classifier.parameters())


def test_lora_starts_as_identity_and_trains_only_adapters(tiny_gpt):
    classifier = GPTClassifier(tiny_gpt, 2)
    ids = torch.randint(0, 40, (3, 8))
    before = classifier(ids).detach()
    frozen = {name: p.detach().clone() for name, p in classifier.named_parameters()}
    count = add_lora(classifier, rank=2)
    assert torch.allclose(classifier(ids), before, atol=1e-6)
    names = {name for name, p in classifier.named_parameters() if p.requires_grad}
    assert names and all(name.endswith((".A", ".B")) or name.startswith("head.") for name in names)
    assert count == trainable_parameters(classifier)
    optimizer = torch.optim.SGD([p for p in classifier.parameters() if p.requires_grad], lr=0.1)
    labels = torch.tensor([0, 1, 0])
    for _ in range(3):
        optimizer.zero_grad()
        classification_loss(classifier, (ids, torch.full((3,), 8), labels)).backward()
        optimizer.step()
    after = dict(classifier.named_parameters())
    for name, value in frozen.items():
        wrapped = name.replace(".weight", ".base.weight").replace(".bias", ".base.bias")
        current = after.get(name, after.get(wrapped))
        if not name.startswith("head."):
            assert torch.equal(current, value), name
    assert not torch.allclose(classifier(ids), before)


def test_classification_data_pads_and_rejects_unknown_labels(tokenizer):
    data = ClassificationData(tokenizer, ["ab", "abcd"], ["x", "y"], ["x", "y"], max_length=4, prefix="")
    assert data.ids.shape == (2, 4) and data.lengths.tolist() == [2, 4] and data.labels.tolist() == [0, 1]
    cut = ClassificationData(tokenizer, ["abcdefg"], ["x"], ["x", "y"], max_length=3, prefix="")
    assert cut.truncated == 1 and cut.ids.shape == (1, 3)
    with pytest.raises(ValueError, match="classes"):
        ClassificationData(tokenizer, ["ab"], ["z"], ["x", "y"], max_length=4)


def test_accuracy_and_confusion_counts(tiny_gpt, tokenizer):
    data = ClassificationData(tokenizer, ["ab", "cd", "ef"], ["x", "y", "x"], ["x", "y"], max_length=4)
    value, confusion = accuracy_and_confusion(GPTClassifier(tiny_gpt, 2), data)
    assert confusion.sum() == 3 and confusion[0].sum() == 2
    assert value == pytest.approx(float(confusion.trace()) / 3)


def test_collate_masks_prompt_and_padding():
    inputs, targets = collate_instruction([1, 2, 3], [4, 5], length=6, pad_id=0)
    assert inputs.tolist() == [1, 2, 3, 4, 0, 0]
    # position 2 reads the last prompt token and must predict the first response token
    assert targets.tolist() == [IGNORE_INDEX, IGNORE_INDEX, 4, 5, IGNORE_INDEX, IGNORE_INDEX]
    with pytest.raises(ValueError, match="fit"):
        collate_instruction([1, 2, 3], [4, 5], length=3, pad_id=0)
    with pytest.raises(ValueError, match="non-empty"):
        collate_instruction([], [4], length=3, pad_id=0)


def test_instruction_data_loss_counts_only_the_response(tokenizer):
    template = "q: {instruction} a:"
    data = InstructionData(tokenizer, [("abc", "de."), ("x", "y.")], template=template, length=24)
    inputs, targets = data[0]
    prompt_length = len(tokenizer.encode("\n" + format_prompt("abc", template)))
    kept = targets[targets != IGNORE_INDEX]
    assert tokenizer.decode(kept.tolist()) == " de.\n"
    assert (targets[: prompt_length - 1] == IGNORE_INDEX).all()
    with pytest.raises(ValueError, match="instruction"):
        format_prompt("abc", "no slot")


def test_exact_match_scores_a_memorised_answer(tiny_gpt, tokenizer):
    assert 0.0 <= exact_match(tiny_gpt, tokenizer, [("ab", "c.")], "{instruction}:") <= 1.0
    with pytest.raises(ValueError, match="pair"):
        exact_match(tiny_gpt, tokenizer, [], "{instruction}")
