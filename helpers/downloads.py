"""Optional real datasets: a registry of pinned downloads, fetched once, checksum-verified and cached.

The series never needs these: TinyWorld is its default data. `load(name)` returns a local path,
from the cache when the file is there and intact, else downloaded (https, progress bar) to a
temporary file, verified against its pinned sha256 and moved into place atomically.

ULLM_MIRROR names a folder holding the same files under their registry names. When it is set,
`load` copies from there instead of the network; tests and CI point it at a read-only mirror.
"""

from __future__ import annotations

import io
import os
import shutil
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from helpers.files import DISK_FULL_ERRORS, atomic_path, sha256_of
from helpers.runtime import cache_dir

MIRROR_ENV = "ULLM_MIRROR"


@dataclass(frozen=True)
class Download:
    name: str
    url: str
    sha256: str
    size: int
    licence: str
    description: str
    zip_member: str | None = None  # the file to extract when the URL is a zip archive


REGISTRY: dict[str, Download] = {
    d.name: d
    for d in [
        Download(
            "gpt2-encoder.json",
            "https://openaipublic.blob.core.windows.net/gpt-2/encodings/main/encoder.json",
            "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
            1_042_301,
            "MIT (OpenAI gpt-2)",
            "GPT-2's BPE vocabulary: token string -> id",
        ),
        Download(
            "gpt2-vocab.bpe",
            "https://openaipublic.blob.core.windows.net/gpt-2/encodings/main/vocab.bpe",
            "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5",
            456_318,
            "MIT (OpenAI gpt-2)",
            "GPT-2's 50,000 BPE merges in rank order",
        ),
        Download(
            "tinyshakespeare.txt",
            "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
            "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
            1_115_394,
            "public domain",
            "Shakespeare's plays, 1.1 MB of text",
        ),
        Download(
            "the-verdict.txt",
            "https://raw.githubusercontent.com/rasbt/LLMs-from-scratch/main/ch02/01_main-chapter-code/the-verdict.txt",
            "b41e41a68f0398a3154ae69e2e4c0e2694e17fe0d66730536837f1b01935b31f",
            20_479,
            "public domain",
            "Edith Wharton's short story 'The Verdict' (1908)",
        ),
        Download(
            "SMSSpamCollection",
            "https://archive.ics.uci.edu/static/public/228/sms+spam+collection.zip",
            "7d039a24a6083ed9ef0f806ebad56bbb976e3aeb8de05669173bfdc4996c239d",
            477_907,
            "CC BY 4.0 (UCI)",
            "5,574 SMS messages labelled ham or spam, tab-separated",
            zip_member="SMSSpamCollection",
        ),
        Download(
            "instruction-data.json",
            "https://raw.githubusercontent.com/rasbt/LLMs-from-scratch/main/ch07/01_main-chapter-code/instruction-data.json",
            "7e09a9af353722ca15c18bc580f093f9c39d3178335a75177319cb1e1d163944",
            203_524,
            "Apache-2.0",
            "1,100 instruction / input / output records",
        ),
    ]
}


class DownloadError(RuntimeError):
    """A download could not be fetched or verified; the message says what to do."""


def load(name: str, *, progress: bool = True) -> Path:
    """Return the local path of a registered download, fetching and verifying it if needed."""
    if name not in REGISTRY:
        raise ValueError(f"Unknown download {name!r}. Known: {', '.join(sorted(REGISTRY))}.")
    entry = REGISTRY[name]
    destination = cache_dir("downloads") / entry.name
    if destination.exists():
        if sha256_of(destination) == entry.sha256:
            return destination
        destination.unlink()  # corrupt or truncated: fetch it again rather than use it
    with atomic_path(destination) as temporary:
        mirror = os.environ.get(MIRROR_ENV)
        if mirror:
            _copy_from_mirror(entry, Path(mirror), temporary)
        else:
            _fetch(entry, temporary, progress)
        found = sha256_of(temporary)
        if found != entry.sha256:
            raise DownloadError(
                f"{entry.name}: checksum mismatch (expected {entry.sha256}, got {found}). The source may have "
                f"changed or the transfer was damaged; nothing was kept. Try again, or place a verified copy "
                f"at {destination}."
            )
    return destination


def _copy_from_mirror(entry: Download, mirror: Path, temporary: Path) -> None:
    source = mirror / entry.name
    if not source.is_file():
        raise DownloadError(f"{MIRROR_ENV}={mirror} has no file {entry.name}; unset {MIRROR_ENV} to download it.")
    shutil.copyfile(source, temporary)


def _fetch(entry: Download, temporary: Path, progress: bool) -> None:
    if not entry.url.startswith("https://"):
        raise DownloadError(f"{entry.name}: refusing a non-https URL {entry.url}.")
    try:
        with urllib.request.urlopen(entry.url, timeout=30) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            payload = io.BytesIO() if entry.zip_member else None
            with open(temporary, "wb") as out, tqdm(
                total=total, unit="B", unit_scale=True, desc=entry.name, disable=not progress
            ) as bar:
                for chunk in iter(lambda: response.read(1 << 16), b""):
                    (payload or out).write(chunk)
                    bar.update(len(chunk))
            if payload is not None:
                with zipfile.ZipFile(payload) as archive:
                    temporary.write_bytes(archive.read(entry.zip_member))
    except (urllib.error.URLError, TimeoutError, OSError, zipfile.BadZipFile) as error:
        if isinstance(error, OSError) and error.errno in DISK_FULL_ERRORS:
            raise  # the disk is full, not the network down: atomic_path reports it with the path
        raise DownloadError(
            f"Could not download {entry.name} from {entry.url} ({error}). The series runs without it on "
            f"TinyWorld; to use it, connect to the network and run again, or place a copy (sha256 "
            f"{entry.sha256}) at {cache_dir('downloads') / entry.name}."
        ) from error
