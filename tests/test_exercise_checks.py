"""The exercise checkers pass a right answer and name each classic mistake when a learner makes it: every mistake
below is written the way a learner would write it, not with the checker's own knobs."""

import math

import pytest
import torch
import torch.nn.functional as F

from helpers.exercise_checks import (
    ExerciseMistake,
    attention_written_out,
    check_attention,
    check_evaluation,
    check_reweight,
    check_training_step,
    reweight_written_out,
)
from helpers.generation import reweight

# ----- attention


def learners_attention(q, k, v, n_head, *, scale=None, diagonal=0, mask=True, axis=-1):
    T, C = q.shape
    d = C // n_head
    q, k, v = (x.reshape(T, n_head, d).permute(1, 0, 2) for x in (q, k, v))
    scores = q @ k.transpose(1, 2) / (math.sqrt(d) if scale is None else scale)
    if mask:
        future = torch.triu(torch.ones(T, T), diagonal=1 + diagonal).bool()
        scores = scores.masked_fill(future, -math.inf)
    return (F.softmax(scores, dim=axis) @ v).permute(1, 0, 2).reshape(T, C)


def test_a_right_attention_passes(capsys):
    check_attention(learners_attention)
    assert "matches helpers.attention" in capsys.readouterr().out


@pytest.mark.parametrize(("mistake", "named"), [
    (dict(scale=math.sqrt(8)), "model width"),
    (dict(scale=1.0), "not scaled"),
    (dict(diagonal=-1), "cannot see itself"),
    (dict(diagonal=1), "sees the token after it"),
    (dict(mask=False), "no causal mask"),
    (dict(axis=-2), "wrong axis"),
])
def test_each_attention_mistake_is_named(mistake, named):
    with pytest.raises(ExerciseMistake, match=named):
        check_attention(lambda q, k, v, n_head: learners_attention(q, k, v, n_head, **mistake))


def test_an_unknown_attention_mistake_says_how_far_off_it_is():
    with pytest.raises(ExerciseMistake, match="largest difference"):
        check_attention(lambda q, k, v, n_head: learners_attention(q, k, v, n_head) + 0.1)
    with pytest.raises(ExerciseMistake, match="shape"):
        check_attention(lambda q, k, v, n_head: learners_attention(q, k, v, n_head)[:-1])


def test_the_written_out_attention_is_the_helpers_one_when_no_knob_is_turned():
    q, k, v = (torch.randn(5, 8) for _ in range(3))
    torch.testing.assert_close(attention_written_out(q, k, v, 2), learners_attention(q, k, v, 2))


# ----- sampling


def learners_reweight(logits, temperature, top_k, top_p, *, times=False, k_extra=0, include_crossing=True,
                      temperature_after=False, normalise=True):
    if temperature == 0:
        probabilities = torch.zeros_like(logits)
        probabilities[logits.argmax()] = 1.0
        return probabilities
    scaled = logits * temperature if times else logits / temperature
    ranking = logits if temperature_after else scaled
    allowed = torch.ones_like(logits, dtype=torch.bool)
    if top_k is not None:
        allowed[torch.topk(ranking, logits.numel()).indices[top_k + k_extra:]] = False
    if top_p is not None:
        probabilities = torch.softmax(ranking.masked_fill(~allowed, -math.inf), -1)
        sorted_p, order = probabilities.sort(descending=True)
        total = 0.0
        for p, index in zip(sorted_p.tolist(), order.tolist(), strict=True):
            if (total >= top_p) if include_crossing else (total + p > top_p):
                allowed[index] = False
            total += p
    if not normalise:
        return torch.softmax(scaled, -1) * allowed
    return torch.softmax(scaled.masked_fill(~allowed, -math.inf), -1)


def test_a_right_sampling_passes(capsys):
    check_reweight(learners_reweight)
    assert "matches helpers.generation.reweight" in capsys.readouterr().out


@pytest.mark.parametrize(("mistake", "named"), [
    (dict(times=True), "multiplied by the temperature"),
    (dict(k_extra=1), "one token too many"),
    (dict(k_extra=-1), "one token too few"),
    (dict(include_crossing=False), "drops the token that crosses p"),
    (dict(temperature_after=True), "before the temperature"),
    (dict(normalise=False), "not renormalised"),
])
def test_each_sampling_mistake_is_named(mistake, named):
    with pytest.raises(ExerciseMistake, match=named):
        check_reweight(lambda *args: learners_reweight(*args, **mistake))


def test_the_written_out_sampling_is_the_helpers_one_when_no_knob_is_turned():
    logits = torch.randn(12)
    for settings in ((0.7, None, None), (1.3, 4, None), (0.8, None, 0.5), (1.0, 6, 0.9)):
        torch.testing.assert_close(reweight_written_out(logits, *settings), reweight(logits, *settings))


# ----- a training step and an evaluation


def learners_step(model, optimizer, ids, *, shift=True, zero=True):
    x, y = ids[:, :-1], ids[:, 1:] if shift else ids[:, :-1]
    logits = model(x)
    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.reshape(-1))
    if zero:
        optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def test_a_right_training_step_passes(capsys):
    check_training_step(learners_step)
    assert "same losses and weights" in capsys.readouterr().out


@pytest.mark.parametrize(("mistake", "named"), [(dict(shift=False), "not shifted"), (dict(zero=False), "zero_grad")])
def test_each_training_mistake_is_named(mistake, named):
    with pytest.raises(ExerciseMistake, match=named):
        check_training_step(lambda model, optimizer, ids: learners_step(model, optimizer, ids, **mistake))


def learners_evaluation(model, ids, *, eval_mode=True, restore=True, shift=True):
    was_training = model.training
    if eval_mode:
        model.eval()
    with torch.no_grad():
        logits = model(ids[:, :-1])
        loss = F.cross_entropy(logits.flatten(0, 1), (ids[:, 1:] if shift else ids[:, :-1]).flatten())
    if restore:
        model.train(was_training)
    return loss.item()


def test_a_right_evaluation_passes(capsys):
    check_evaluation(learners_evaluation)
    assert "without dropout" in capsys.readouterr().out


@pytest.mark.parametrize(("mistake", "named"), [
    (dict(eval_mode=False), "dropout is still on"), (dict(restore=False), "leaves the model in evaluation mode"),
    (dict(shift=False), "not shifted"),
])
def test_each_evaluation_mistake_is_named(mistake, named):
    with pytest.raises(ExerciseMistake, match=named):
        check_evaluation(lambda model, ids: learners_evaluation(model, ids, **mistake))


def test_an_evaluation_that_trains_is_caught():
    def trains(model, ids):
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        model.eval()
        return learners_step(model, optimizer, ids)
    with pytest.raises(ExerciseMistake, match="changed the weights"):
        check_evaluation(trains)
