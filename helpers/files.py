"""Safe file writing: a learner's file is either the old good one or the new complete one, never half of each."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

DISK_FULL_ERRORS = (errno.ENOSPC, errno.EDQUOT)  # no space left, disk quota exceeded


def sha256_of(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, read in chunks so large files do not fill memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def atomic_path(destination: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `destination`; move it into place only if the block succeeds.

    An interrupt, a full disk or an exception leaves the previous file untouched and no partial
    file behind. A full disk is reported as an OSError (same errno) naming the destination and what to do.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".partial", dir=destination.parent)
    os.close(handle)
    temporary = Path(temporary)
    try:
        yield temporary
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, destination)
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        if isinstance(error, OSError) and error.errno in DISK_FULL_ERRORS:
            raise OSError(
                error.errno,
                f"{error.strerror}: could not write {destination}. Any earlier {destination.name} there is "
                f"unchanged; free some disk space (or write to another disk) and run this again.",
            ) from error
        raise


def write_text_atomically(destination: str | os.PathLike, text: str) -> None:
    """Write a text file (UTF-8) so that it is replaced whole or not at all."""
    with atomic_path(destination) as temporary:
        temporary.write_text(text, encoding="utf-8")
