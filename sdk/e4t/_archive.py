"""Packs a domain model directory into an upload archive, with its sha256 and size."""

from __future__ import annotations

import hashlib
import os
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from e4t.types import ArchiveFormat

CHUNK_BYTES = 1024 * 1024  # docs/api.md "Limits": at most 1 MiB per upload chunk
_SUFFIXES = {
    ".tar": ArchiveFormat.TAR,
    ".tar.gz": ArchiveFormat.TAR_GZIP,
    ".tgz": ArchiveFormat.TAR_GZIP,
    ".zip": ArchiveFormat.ZIP,
}


@dataclass(frozen=True)
class Archive:
    """An archive file ready to upload."""

    path: Path
    format: ArchiveFormat
    sha256: str
    size_bytes: int

    def chunks(self) -> Iterator[bytes]:
        """The archive in pieces of at most 1 MiB."""
        with self.path.open("rb") as stream:
            while chunk := stream.read(CHUNK_BYTES):
                yield chunk


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _archive_format(path: Path) -> ArchiveFormat:
    name = path.name.lower()
    for suffix, archive_format in _SUFFIXES.items():
        if name.endswith(suffix):
            return archive_format
    raise ValueError(f"{path} is neither a directory nor a .tar, .tar.gz, .tgz or .zip archive")


@contextmanager
def open_archive(source: str | os.PathLike[str]) -> Iterator[Archive]:
    """An `Archive` of `source`: a directory is packed to a temporary .tar.gz (removed on exit),
    an existing archive file is used as it is."""
    path = Path(source)
    if not path.is_dir():
        archive_format = _archive_format(path)
        yield Archive(path, archive_format, _digest(path), path.stat().st_size)
        return
    with tempfile.TemporaryDirectory(prefix="e4t-upload-") as scratch:
        packed = Path(scratch) / f"{path.name or 'model'}.tar.gz"
        with tarfile.open(packed, "w:gz") as tar:
            tar.add(path, arcname=path.resolve().name)
        yield Archive(packed, ArchiveFormat.TAR_GZIP, _digest(packed), packed.stat().st_size)
