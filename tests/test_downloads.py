import hashlib
import io
import os
import socket
import zipfile
from pathlib import Path

import pytest

from helpers import downloads
from helpers.downloads import REGISTRY, Download, DownloadError, load
from helpers.files import sha256_of

# The test mirror: CI sets ULLM_MIRROR, tests/conftest.py defaults it to ../shared/data.
MIRROR = Path(os.environ["ULLM_MIRROR"])


@pytest.fixture
def offline(monkeypatch):
    """No network at all: any socket connection fails, as on a plane."""

    def refuse(*args, **kwargs):
        raise OSError("network is unreachable (blocked by the test)")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_registry_names_the_mirror_files_with_pinned_checksums():
    assert set(REGISTRY) == {p.name for p in MIRROR.iterdir() if p.suffix != ".md"}
    for entry in REGISTRY.values():
        assert entry.url.startswith("https://") and len(entry.sha256) == 64
        assert (MIRROR / entry.name).stat().st_size == entry.size


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_download_loads_verified_from_the_mirror(isolated_cache, monkeypatch, name):
    monkeypatch.setenv("ULLM_MIRROR", str(MIRROR))
    path = load(name, progress=False)
    assert path.parent == isolated_cache.resolve() / "downloads"
    assert sha256_of(path) == REGISTRY[name].sha256


def test_cached_file_is_used_without_the_mirror_or_network(isolated_cache, monkeypatch, offline):
    monkeypatch.setenv("ULLM_MIRROR", str(MIRROR))
    first = load("the-verdict.txt", progress=False)
    monkeypatch.delenv("ULLM_MIRROR")
    assert load("the-verdict.txt", progress=False) == first


def test_no_network_gives_advice_and_leaves_nothing(isolated_cache, monkeypatch, offline):
    monkeypatch.delenv("ULLM_MIRROR", raising=False)
    with pytest.raises(DownloadError, match="runs without it on TinyWorld") as error:
        load("the-verdict.txt", progress=False)
    assert "connect to the network" in str(error.value)
    assert list((isolated_cache / "downloads").iterdir()) == []


def test_checksum_mismatch_is_refused_and_nothing_is_kept(isolated_cache, tmp_path, monkeypatch):
    fake_mirror = tmp_path / "mirror"
    fake_mirror.mkdir()
    (fake_mirror / "the-verdict.txt").write_text("not the story")
    monkeypatch.setenv("ULLM_MIRROR", str(fake_mirror))
    with pytest.raises(DownloadError, match="checksum mismatch"):
        load("the-verdict.txt", progress=False)
    assert list((isolated_cache / "downloads").iterdir()) == []


def test_corrupt_cached_file_is_fetched_again(isolated_cache, monkeypatch):
    monkeypatch.setenv("ULLM_MIRROR", str(MIRROR))
    path = load("the-verdict.txt", progress=False)
    path.write_text(path.read_text()[:100])  # truncated, as by a crash
    assert sha256_of(load("the-verdict.txt", progress=False)) == REGISTRY["the-verdict.txt"].sha256


def test_missing_mirror_file_says_how_to_download(isolated_cache, tmp_path, monkeypatch):
    monkeypatch.setenv("ULLM_MIRROR", str(tmp_path))
    with pytest.raises(DownloadError, match="unset ULLM_MIRROR"):
        load("the-verdict.txt", progress=False)


def test_unknown_names_cannot_reach_outside_the_cache():
    with pytest.raises(ValueError, match="Known:"):
        load("../../etc/passwd")


def test_zip_member_is_extracted_and_verified(isolated_cache, monkeypatch):
    """The network path, with urlopen replaced by an in-memory zip like UCI's."""
    monkeypatch.delenv("ULLM_MIRROR", raising=False)
    content = b"ham\thello\nspam\twin a prize\n"
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("readme", "about")
        zipped.writestr("SMS", content)
    entry = Download("SMS", "https://example.org/sms.zip", hashlib.sha256(content).hexdigest(),
                     len(content), "test", "test", zip_member="SMS")
    monkeypatch.setitem(REGISTRY, "SMS", entry)

    class Response(io.BytesIO):
        headers = {"Content-Length": str(len(archive.getvalue()))}

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(downloads.urllib.request, "urlopen", lambda url, timeout: Response(archive.getvalue()))
    assert load("SMS", progress=False).read_bytes() == content
