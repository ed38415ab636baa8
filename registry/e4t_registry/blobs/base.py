"""The backend-independent blob store interface and the verified read paths."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from .errors import BlobIntegrityError, BlobNotFoundError

CHUNK_SIZE = 1024 * 1024
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class BlobInfo:
    """What a store knows about one blob.

    ``sha256`` is the digest recorded at upload time (None when the store has none, e.g. in
    listings or for objects written by other tools). ``last_modified`` is timezone-aware UTC.
    """

    key: str
    size: int
    sha256: str | None
    last_modified: datetime


def normalize_sha256(digest: str) -> str:
    """Lower-case a hex sha256 digest, raising `ValueError` if it is not one."""
    normalized = digest.strip().lower()
    if not _SHA256_HEX.fullmatch(normalized):
        raise ValueError(f"expected a 64-character hex sha256 digest, got {digest!r}")
    return normalized


def iter_source(data: bytes | BinaryIO, length: int | None) -> Iterator[bytes]:
    """Yield ``data`` in chunks; with ``length``, exactly that many bytes or a `ValueError`."""
    if isinstance(data, bytes | bytearray | memoryview):
        payload = bytes(data)
        if length is not None and length != len(payload):
            raise ValueError(f"length={length} but {len(payload)} bytes were given")
        for start in range(0, len(payload), CHUNK_SIZE):
            yield payload[start : start + CHUNK_SIZE]
        return
    remaining = length
    while remaining is None or remaining > 0:
        chunk = data.read(CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining))
        if not chunk:
            break
        if remaining is not None:
            remaining -= len(chunk)
        yield chunk
    if remaining:
        raise ValueError(f"stream ended {remaining} bytes short of length={length}")


class BlobStore(ABC):
    """A flat key → bytes store whose reads are always checked against a known sha256.

    Keys are relative slash-separated paths (see `validate_key`). Writes replace whole blobs;
    readers never observe a partial write.
    """

    @abstractmethod
    def put(self, key: str, data: bytes | BinaryIO, *, length: int | None = None) -> BlobInfo:
        """Store ``data`` (bytes or a readable binary stream) under ``key``, replacing any blob.

        Args:
            key: where to store the blob.
            data: the content; a stream is read to its end, or for ``length`` bytes if given.
            length: the exact number of bytes to read from a stream (checked for bytes).

        Returns:
            The stored blob's info, including the sha256 computed while writing.
        """

    @abstractmethod
    def stat(self, key: str) -> BlobInfo:
        """Return the blob's size, recorded sha256 and modification time (`BlobNotFoundError`)."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the blob's data; deleting a missing key is not an error."""

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        """Yield every blob whose key starts with ``prefix``, in key order.

        Listings carry ``sha256=None``: neither backend can report it without one extra request
        per blob, so call `stat` when the digest is needed.
        """

    @abstractmethod
    def _read_chunks(self, key: str) -> Iterator[bytes]:
        """Yield the raw stored bytes of ``key``, raising `BlobNotFoundError` if missing."""

    def exists(self, key: str) -> bool:
        """Return whether ``key`` holds a blob."""
        try:
            self.stat(key)
        except BlobNotFoundError:
            return False
        return True

    def delete_prefix(self, prefix: str) -> int:
        """Delete every blob under ``prefix`` and return how many were deleted."""
        keys = [info.key for info in self.list(prefix)]
        for key in keys:
            self.delete(key)
        return len(keys)

    def get(self, key: str, *, expected_sha256: str) -> bytes:
        """Return the blob's bytes after checking they hash to ``expected_sha256``.

        Raises:
            BlobNotFoundError: nothing is stored under ``key``.
            BlobIntegrityError: the stored bytes differ from what the caller expects.
        """
        expected = normalize_sha256(expected_sha256)
        digest = hashlib.sha256()
        parts: list[bytes] = []
        for chunk in self._read_chunks(key):
            digest.update(chunk)
            parts.append(chunk)
        self._check_digest(key, expected, digest.hexdigest())
        return b"".join(parts)

    def download(self, key: str, dest: Path, *, expected_sha256: str) -> None:
        """Stream the blob into ``dest``, verified, appearing there atomically or not at all.

        The bytes go to a temporary file beside ``dest`` and are renamed into place only after
        the sha256 matches, so ``dest`` never holds partial or corrupt content.
        """
        expected = normalize_sha256(expected_sha256)
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(
            dir=dest.parent, prefix=f".{dest.name}.", suffix=".part"
        )
        temp_path = Path(temp_name)
        try:
            digest = hashlib.sha256()
            with os.fdopen(handle, "wb") as out:
                for chunk in self._read_chunks(key):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            self._check_digest(key, expected, digest.hexdigest())
            os.replace(temp_path, dest)
        finally:
            temp_path.unlink(missing_ok=True)
        fsync_directory(dest.parent)

    @staticmethod
    def _check_digest(key: str, expected: str, actual: str) -> None:
        if actual != expected:
            raise BlobIntegrityError(
                f"blob {key!r} is corrupt: sha256 {actual} does not match expected {expected}"
            )


def fsync_directory(directory: Path) -> None:
    """Make a rename inside ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
