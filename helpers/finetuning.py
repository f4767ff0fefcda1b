"""Fine-tuning a pretrained GPT: a classification head, freezing choices, LoRA, and instruction data.

What is here, in the order chapter 6 meets it:

GPTClassifier          the pretrained GPT without its language-model head; a linear layer reads the final
                       hidden state of each text's last real token and scores the classes
ClassificationData     texts encoded, right-padded to one length, with their lengths and class indices
classification_loss    the `loss_fn` that helpers.training.train takes for classification
set_trainable          which parameters learn: "head", "last_block" (with the final LayerNorm) or "all"
LoRALinear, add_lora   low-rank adapters on the attention and MLP linears; only the adapters (and the
                       head) learn, and a fresh adapter leaves the model's outputs unchanged
predict, accuracy_and_confusion
format_prompt, InstructionData (collate_instruction)
                       an instruction/response prompt format and examples whose prompt tokens are masked
                       out of the loss (target IGNORE_INDEX), so the model learns to answer, not to ask
exact_match            greedy answers compared word for word with the reference responses

Simplified on purpose: right padding only (a causal model's last real token never sees the padding, so no
attention mask is needed), no LoRA dropout, no merging of adapters into the weights, greedy decoding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset

from helpers.generation import generate_ids
from helpers.model import GPT
from helpers.runtime import evaluating
from helpers.training import IGNORE_INDEX  # cross_entropy skips targets with this value (its default)

TRAINABLE_CHOICES = ("head", "last_block", "all")


class GPTClassifier(nn.Module):
    """A pretrained GPT whose vocabulary head is replaced by a small head scoring `n_classes` classes."""

    def __init__(self, gpt: GPT, n_classes: int):
        super().__init__()
        if not isinstance(gpt, GPT):
            raise TypeError(f"gpt must be a helpers.model.GPT, got {type(gpt).__name__}.")
        if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 2:
            raise ValueError(f"n_classes must be an integer of at least 2, got {n_classes!r}.")
        self.gpt = gpt
        self.head = nn.Linear(gpt.config.n_embd, n_classes)
        nn.init.normal_(self.head.weight, std=0.02)
        nn.init.zeros_(self.head.bias)

    def features(self, ids: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """The final hidden state (after ln_f) of each sequence's last real token: (B, T) -> (B, C)."""
        ids = self.gpt.check_ids(ids)  # (B, T)
        B, T = ids.shape
        if lengths is None:
            lengths = torch.full((B,), T, dtype=torch.long)
        lengths = torch.as_tensor(lengths, dtype=torch.long, device=ids.device)
        if lengths.shape != (B,) or lengths.min() < 1 or lengths.max() > T:
            raise ValueError(f"lengths must be {B} integers in [1, {T}] (real tokens per row), got {lengths.tolist()}.")
        positions = torch.arange(T, device=ids.device)  # (T,)
        x = self.gpt.drop(self.gpt.wte(ids) + self.gpt.wpe(positions))  # (B, T, C)
        for block in self.gpt.h:
            x, _ = block(x)  # (B, T, C)
        x = self.gpt.ln_f(x)  # (B, T, C)
        return x[torch.arange(B, device=ids.device), lengths - 1]  # (B, C)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Class scores (B, n_classes) for right-padded ids (B, T) with `lengths` real tokens per row."""
        return self.head(self.features(ids, lengths))


class ClassificationData(Dataset):
    """Texts as right-padded token ids with their lengths and class indices; items are (ids, length, label)."""

    def __init__(self, tokenizer, texts: Sequence[str], labels: Sequence[str], classes: Sequence[str], *,
                 max_length: int, prefix: str = "\n"):
        if len(texts) != len(labels) or not texts:
            raise ValueError(f"give as many labels as texts, at least one; got {len(texts)} texts and "
                             f"{len(labels)} labels.")
        unknown = sorted(set(labels) - set(classes))
        if unknown:
            raise ValueError(f"labels {unknown} are not among the classes {list(classes)}; filter them out first.")
        self.classes = list(classes)
        pad = tokenizer.eot_id if tokenizer.eot_id is not None else 0
        encoded = [tokenizer.encode(prefix + text)[:max_length] for text in texts]
        self.truncated = sum(len(tokenizer.encode(prefix + text)) > max_length for text in texts)
        length = max(len(ids) for ids in encoded)
        self.ids = torch.full((len(texts), length), pad, dtype=torch.long)  # (N, T)
        for row, ids in enumerate(encoded):
            self.ids[row, : len(ids)] = torch.tensor(ids)
        self.lengths = torch.tensor([len(ids) for ids in encoded])  # (N,)
        self.labels = torch.tensor([self.classes.index(label) for label in labels])  # (N,)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.ids[index], self.lengths[index], self.labels[index]


def classification_loss(model: nn.Module, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """Cross-entropy of the class scores against the labels: pass as `loss_fn` to helpers.training.train."""
    ids, lengths, labels = batch  # (B, T), (B,), (B,)
    return F.cross_entropy(model(ids, lengths), labels)


def set_trainable(classifier: GPTClassifier, which: str) -> int:
    """Freeze the classifier except `which` ("head", "last_block" or "all"); return the trainable count."""
    if which not in TRAINABLE_CHOICES:
        raise ValueError(f"which must be one of {TRAINABLE_CHOICES}, got {which!r}.")
    for parameter in classifier.parameters():
        parameter.requires_grad = which == "all"
    learning = [classifier.head]
    if which == "last_block":
        learning += [classifier.gpt.h[-1], classifier.gpt.ln_f]
    for module in learning:
        for parameter in module.parameters():
            parameter.requires_grad = True
    return trainable_parameters(classifier)


def trainable_parameters(model: nn.Module) -> int:
    """How many numbers the optimizer will change."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


class LoRALinear(nn.Module):
    """A frozen linear layer plus a trainable low-rank update: W x + (alpha / rank) * B A x.

    A (rank, in) starts random and B (out, rank) starts at zero, so a fresh adapter changes nothing.
    """

    def __init__(self, base: nn.Linear, rank: int = 4, alpha: float = 8.0):
        super().__init__()
        if not isinstance(base, nn.Linear):
            raise TypeError(f"LoRA wraps an nn.Linear, got {type(base).__name__}.")
        largest = min(base.in_features, base.out_features)
        if isinstance(rank, bool) or not isinstance(rank, int) or not 1 <= rank <= largest:
            raise ValueError(f"rank must be an integer in [1, {largest}], got {rank!r}.")
        self.base = base
        for parameter in base.parameters():
            parameter.requires_grad = False
        self.A = nn.Parameter(torch.randn(rank, base.in_features) / math.sqrt(base.in_features))  # (r, in)
        self.B = nn.Parameter(torch.zeros(base.out_features, rank))  # (out, r)
        self.scale = alpha / rank

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(…, in) -> (…, out)."""
        return self.base(x) + (x @ self.A.T @ self.B.T) * self.scale


def add_lora(classifier: GPTClassifier, rank: int = 4, alpha: float = 8.0,
             targets: Sequence[str] = ("c_attn", "c_proj", "c_fc")) -> int:
    """Freeze the classifier, wrap every named linear of every block in LoRA; return the trainable count.

    The head stays trainable (it is new); everything pretrained is frozen and only the adapters learn.
    """
    for parameter in classifier.parameters():
        parameter.requires_grad = False
    wrapped = 0
    for block in classifier.gpt.h:
        for module in list(block.modules()):
            for name, child in list(module.named_children()):
                if name in targets and isinstance(child, nn.Linear):
                    setattr(module, name, LoRALinear(child, rank, alpha))
                    wrapped += 1
    if wrapped == 0:
        raise ValueError(f"no linear layer named one of {list(targets)} was found in the blocks.")
    for parameter in classifier.head.parameters():
        parameter.requires_grad = True
    return trainable_parameters(classifier)


def predict(model: nn.Module, data: ClassificationData, batch_size: int = 256) -> torch.Tensor:
    """The predicted class index of every example (N,)."""
    with evaluating(model):
        predictions = [model(data.ids[s : s + batch_size], data.lengths[s : s + batch_size]).argmax(-1)
                       for s in range(0, len(data), batch_size)]
    return torch.cat(predictions)


def accuracy_and_confusion(model: nn.Module, data: ClassificationData) -> tuple[float, torch.Tensor]:
    """Share of correct predictions, and the confusion matrix (true class rows, predicted class columns)."""
    predictions = predict(model, data)
    n = len(data.classes)
    confusion = torch.zeros(n, n, dtype=torch.long)
    for truth, guess in zip(data.labels.tolist(), predictions.tolist(), strict=True):
        confusion[truth, guess] += 1
    return float((predictions == data.labels).float().mean()), confusion


def format_prompt(instruction: str, template: str = "instruction : {instruction} response :") -> str:
    """An instruction written in a prompt format; the model's answer follows it."""
    if "{instruction}" not in template:
        raise ValueError("the template must contain {instruction}, where the instruction goes.")
    return template.format(instruction=instruction)


def collate_instruction(prompt_ids: Sequence[int], response_ids: Sequence[int], length: int,
                        pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs, targets) of one example, both (length,): targets are the next tokens, IGNORE_INDEX on the
    prompt (the model is not taught to write the question) and on the padding."""
    ids = list(prompt_ids) + list(response_ids)
    if not prompt_ids or not response_ids:
        raise ValueError("an instruction example needs a non-empty prompt and a non-empty response.")
    if len(ids) > length + 1:
        raise ValueError(f"the example has {len(ids)} tokens; at most {length + 1} fit a length of {length}.")
    inputs = torch.full((length,), pad_id, dtype=torch.long)  # (T,)
    targets = torch.full((length,), IGNORE_INDEX, dtype=torch.long)  # (T,)
    inputs[: len(ids) - 1] = torch.tensor(ids[:-1])
    targets[: len(ids) - 1] = torch.tensor(ids[1:])
    targets[: len(prompt_ids) - 1] = IGNORE_INDEX  # predictions made inside the prompt do not count
    return inputs, targets


class InstructionData(Dataset):
    """(inputs, targets) examples of instruction fine-tuning, prompt tokens masked out of the loss.

    Each example is `format_prompt(instruction)` followed by " response" and the end-of-document
    separator, so the model also learns where to stop.
    """

    def __init__(self, tokenizer, pairs: Sequence[tuple[str, str]], *, template: str, length: int | None = None,
                 end: str = "\n"):
        if not pairs:
            raise ValueError("give at least one (instruction, response) pair.")
        pad = tokenizer.eot_id if tokenizer.eot_id is not None else 0
        encoded = [(tokenizer.encode(end + format_prompt(instruction, template)),
                    tokenizer.encode(" " + response + end)) for instruction, response in pairs]
        length = length or max(len(prompt) + len(response) for prompt, response in encoded) - 1  # the longest
        examples = [collate_instruction(prompt, response, length, pad) for prompt, response in encoded]
        self.inputs = torch.stack([inputs for inputs, _ in examples])  # (N, T)
        self.targets = torch.stack([targets for _, targets in examples])  # (N, T)

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.inputs[index], self.targets[index]


def answer(model: GPT, tokenizer, instruction: str, template: str, *, max_new_tokens: int = 24,
           end: str = "\n") -> str:
    """The model's greedy answer to an instruction in a prompt format, up to the end of the document."""
    prompt = tokenizer.encode(end + format_prompt(instruction, template))
    stops = [i for i in range(tokenizer.vocab_size) if end in tokenizer.decode([i])]  # tokens that end the answer
    ids = generate_ids(model, prompt, max_new_tokens, temperature=0.0, stop_tokens=stops)
    return tokenizer.decode(ids[len(prompt):]).split(end)[0].strip()


def exact_match(model: GPT, tokenizer, pairs: Sequence[tuple[str, str]], template: str) -> float:
    """Share of instructions whose greedy answer is exactly the reference response (spaces trimmed)."""
    if not pairs:
        raise ValueError("give at least one (instruction, response) pair.")
    hits = sum(answer(model, tokenizer, instruction, template) == response.strip() for instruction, response in pairs)
    return hits / len(pairs)
