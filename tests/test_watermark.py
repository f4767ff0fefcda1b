"""The watermark: green lists are seeded and sized by gamma; z is near 0 on random text, high on all-green text."""

import pytest
import torch

from helpers.experiments.watermark import detect, generate_watermarked, generate_watermarked_batch, green_list
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
    marked = generate_watermarked(model, [0], 60, delta=4.0, seed=0)
    plain = generate_watermarked(model, [0], 60, delta=0.0, seed=0)
    assert detect([0] + marked, 40).z > detect([0] + plain, 40).z + 2


def test_bad_gamma_is_refused():
    with pytest.raises(ValueError, match="gamma"):
        green_list(0, 10, gamma=1.5)


def test_batched_generation_is_seeded_and_stops_after_a_stop_token():
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("tiny", vocab_size=40, context_length=16))
    batch = generate_watermarked_batch(model, [[1, 2], [3, 4]], 30, seed=1)  # 32 > 16: the window slides
    assert [len(row) for row in batch] == [30, 30] and batch == generate_watermarked_batch(model, [[1, 2], [3, 4]],
                                                                                            30, seed=1)
    one = generate_watermarked(model, [1, 2], 30, seed=1, stop_tokens=[batch[0][0]])
    assert len(one) == 1
    with pytest.raises(ValueError, match="equal length"):
        generate_watermarked_batch(model, [[1], [2, 3]], 5)
