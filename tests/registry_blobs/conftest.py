"""Blob store fixtures: every contract test runs on the local and the S3 backend.

Each test gets its own key prefix, so tests sharing the session's S3 bucket never see each
other's blobs. `RawBackend` reaches the stored bytes without the blob store, to check deletion
and to plant corruption.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest
from minio import Minio

from e4t_registry.blobs import BlobStore, LocalBlobStore
from tests.harness import SeaweedFSServer


class RawBackend(Protocol):
    def keys(self, prefix: str) -> list[str]: ...

    def overwrite_keeping_metadata(self, key: str, data: bytes) -> None: ...


@dataclass
class RawDirectory:
    root: Path

    def keys(self, prefix: str) -> list[str]:
        return sorted(
            path.relative_to(self.root / "data").as_posix()
            for path in (self.root / "data").rglob("*")
            if path.is_file() and path.relative_to(self.root / "data").as_posix().startswith(prefix)
        )

    def overwrite_keeping_metadata(self, key: str, data: bytes) -> None:
        (self.root / "data" / key).write_bytes(data)  # the sha256 sidecar stays as it was


@dataclass
class RawBucket:
    client: Minio
    bucket: str

    def keys(self, prefix: str) -> list[str]:
        objects = self.client.list_objects(self.bucket, prefix=prefix, recursive=True)
        return sorted(item.object_name for item in objects if item.object_name)

    def overwrite_keeping_metadata(self, key: str, data: bytes) -> None:
        old = self.client.stat_object(self.bucket, key).metadata or {}
        sha256 = old["x-amz-meta-sha256"]
        self.client.put_object(
            self.bucket, key, io.BytesIO(data), len(data), metadata={"sha256": sha256}
        )


@dataclass
class Backend:
    store: BlobStore
    raw: RawBackend
    prefix: str

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    prefix = f"test-{uuid.uuid4().hex[:12]}/"
    if request.param == "local":
        root = tmp_path / "blobs"
        yield Backend(LocalBlobStore(root), RawDirectory(root), prefix)
        return
    s3_server: SeaweedFSServer = request.getfixturevalue("s3_server")
    yield Backend(s3_server.store(), RawBucket(s3_server.client(), s3_server.bucket), prefix)
