"""Hash content before upload, so its content-addressed key is known before the first byte."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from e4t_registry.blobs import BlobInfo, BlobStore
from e4t_registry.blobs.errors import BlobIntegrityError

ArtifactSource = bytes | BinaryIO | Path
_CHUNK = 1 << 20
# Artifacts up to this size stay in memory while staged; larger ones spill to a temp file.
_SPOOL_LIMIT = 16 << 20


@dataclass(frozen=True)
class StagedContent:
    sha256: str
    size: int
    stream: BinaryIO


@contextmanager
def staged(source: ArtifactSource) -> Iterator[StagedContent]:
    """Yield `source`'s sha256, size and a stream positioned at its start."""
    if isinstance(source, Path):
        with source.open("rb") as handle:
            digest, size = _hash_stream(handle)
            handle.seek(0)
            yield StagedContent(digest, size, handle)
        return
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_LIMIT) as spooled:
        spool = cast(BinaryIO, spooled)
        if isinstance(source, bytes):
            spool.write(source)
        else:
            shutil.copyfileobj(source, spool, _CHUNK)
        spool.seek(0)
        digest, size = _hash_stream(spool)
        spool.seek(0)
        yield StagedContent(digest, size, spool)


def _hash_stream(stream: BinaryIO) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def upload_checked(blobs: BlobStore, key: str, content: StagedContent) -> BlobInfo:
    """Upload staged content and make sure the store received exactly those bytes."""
    info = blobs.put(key, content.stream, length=content.size)
    if info.sha256 != content.sha256 or info.size != content.size:
        raise BlobIntegrityError(f"upload of {key} was altered in transit")
    return info
