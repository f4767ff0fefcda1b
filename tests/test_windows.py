import pytest
import torch

from helpers.windows import TokenWindows, split_ids


def test_targets_are_inputs_shifted_by_one():
    windows = TokenWindows(list(range(20)), context_length=4, stride=3)
    x, y = windows[1]
    assert x.tolist() == [3, 4, 5, 6] and y.tolist() == [4, 5, 6, 7]
    assert len(windows) == 6  # starts 0, 3, ..., 15: each needs 5 ids
    last_x, last_y = windows[len(windows) - 1]
    assert last_y[-1].item() <= 19


def test_default_stride_is_the_context_length():
    windows = TokenWindows(torch.arange(100), context_length=10)
    assert [int(windows[i][0][0]) for i in range(len(windows))] == list(range(0, 90, 10))


@pytest.mark.parametrize(
    "ids,context_length,stride,message",
    [
        ([1, 2, 3], 3, 1, "cannot fill one window"),
        ([], 1, 1, "cannot fill one window"),
        (list(range(10)), 0, 1, "context_length must be a positive integer"),
        (list(range(10)), 2, 0, "stride must be a positive integer"),
    ],
)
def test_bad_windows_say_what_to_change(ids, context_length, stride, message):
    with pytest.raises(ValueError, match=message):
        TokenWindows(ids, context_length, stride)


def test_split_keeps_order_and_sizes():
    train, validation = split_ids(list(range(100)), validation_fraction=0.2)
    assert train.tolist() == list(range(80)) and validation.tolist() == list(range(80, 100))
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        split_ids([1, 2, 3], validation_fraction=1.0)
