import hashlib

import pytest

from helpers.files import atomic_path, sha256_of, write_text_atomically


def test_sha256_matches_hashlib(tmp_path):
    path = tmp_path / "data.bin"
    payload = bytes(range(256)) * 5000
    path.write_bytes(payload)
    assert sha256_of(path) == hashlib.sha256(payload).hexdigest()


def test_atomic_write_replaces_whole_file(tmp_path):
    path = tmp_path / "note.txt"
    write_text_atomically(path, "first")
    write_text_atomically(path, "second")
    assert path.read_text() == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["note.txt"]


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, OSError])
def test_interrupted_write_keeps_the_previous_file_and_leaves_no_partial(tmp_path, interruption):
    path = tmp_path / "model.json"
    write_text_atomically(path, "good")
    with pytest.raises(interruption):
        with atomic_path(path) as temporary:
            temporary.write_text("half of a new fi")
            raise interruption("No space left on device")
    assert path.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]
