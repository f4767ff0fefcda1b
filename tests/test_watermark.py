"""The watermark: green lists are seeded and sized by gamma; z is near 0 on random text, high on all-green text."""

import pytest
import torch

from helpers.experiments.watermark import detect, generate_watermarked_batch, green_bonus, green_list
from helpers.generation import generate_ids
from helpers.model import GPT, GPTConfig


def test_green_list_is_seeded_and_a_quarter_of_the_vocabulary():
    mask = green_list(5, 100)
    assert mask.dtype == torch.bool and int(mask.sum()) == 25
    assert torch.equal(mask, green_list(5, 100)) and not torch.equal(mask, green_list(6, 100))


def test_uniform_random_text_has_z_near_zero():
    ids = torch.randint(200, (2000,), generator=torch.Generator().manual_seed(0)).tolist()
    assert abs(detect(ids, 200).z) < 3


def test_all_green_text_has_high_z():
    ids = [0]
    for _ in range(100):
        ids.append(int(green_list(ids[-1], 50).nonzero()[len(ids) % 12, 0]))  # always a green token
    result = detect(ids, 50)
    assert result.green == result.counted >= 10 and result.z > 5


def test_repeated_pairs_count_once():
    ids = [1, 2] * 50
    assert detect(ids, 50).counted == 2
    assert detect(ids, 50, ignore_repeated=False).counted == 99


def test_watermarked_generation_favours_green_tokens():
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("tiny", vocab_size=40, context_length=32))
    (marked,) = generate_watermarked_batch(model, [[0]], 60, delta=4.0, seed=0)
    (plain,) = generate_watermarked_batch(model, [[0]], 60, delta=0.0, seed=0)
    assert detect([0] + marked, 40).z > detect([0] + plain, 40).z + 2


def test_the_bonus_is_delta_on_the_green_tokens_after_the_last_token():
    logits = torch.zeros(2, 40)
    adjusted = green_bonus(40, delta=2.0)(torch.tensor([[5, 7], [5, 9]]), logits)
    assert torch.equal(adjusted[0], 2.0 * green_list(7, 40)) and torch.equal(adjusted[1], 2.0 * green_list(9, 40))


def test_bad_gamma_is_refused():
    with pytest.raises(ValueError, match="gamma"):
        green_list(0, 10, gamma=1.5)


def test_watermarked_generation_is_seeded_and_is_generation_with_the_green_bonus():
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("tiny", vocab_size=40, context_length=16))
    batch = generate_watermarked_batch(model, [[1, 2], [3, 4]], 30, seed=1)  # 32 > 16: the window slides
    assert [len(row) for row in batch] == [30, 30] and batch == generate_watermarked_batch(model, [[1, 2], [3, 4]],
                                                                                            30, seed=1)
    alone = generate_ids(model, [1, 2], 30, seed=1, adjust_logits=green_bonus(40))
    assert alone[2:] == generate_watermarked_batch(model, [[1, 2]], 30, seed=1)[0]
    with pytest.raises(ValueError, match="equal length"):
        generate_watermarked_batch(model, [[1], [2, 3]], 5)
