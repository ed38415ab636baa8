"""The blob store contract, run against both backends (local directory and SeaweedFS S3)."""

from __future__ import annotations

import hashlib
import io
import os
from datetime import UTC
from pathlib import Path

import pytest

from e4t_registry.blobs import (
    BlobIntegrityError,
    BlobNotFoundError,
    InvalidBlobKeyError,
)

from .conftest import Backend


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_put_get_stat_round_trip(backend: Backend) -> None:
    key = backend.key("concepts/c1/artifact.safetensors")
    data = b"offsets and an embedding"

    info = backend.store.put(key, data)

    assert (info.key, info.size, info.sha256) == (key, len(data), sha256(data))
    assert backend.store.get(key, expected_sha256=sha256(data)) == data
    stat = backend.store.stat(key)
    assert (stat.key, stat.size, stat.sha256) == (key, len(data), sha256(data))
    assert stat.last_modified.tzinfo is not None
    assert stat.last_modified.utcoffset() == UTC.utcoffset(None)
    assert backend.store.exists(key)


def test_put_from_stream_reads_exactly_length(backend: Backend) -> None:
    key = backend.key("stream.bin")
    stream = io.BytesIO(b"0123456789")

    info = backend.store.put(key, stream, length=4)

    assert info.size == 4
    assert backend.store.get(key, expected_sha256=sha256(b"0123")) == b"0123"
    assert stream.read() == b"456789"


def test_put_rejects_a_stream_shorter_than_length(backend: Backend) -> None:
    key = backend.key("short.bin")
    with pytest.raises(ValueError, match="short"):
        backend.store.put(key, io.BytesIO(b"abc"), length=10)
    assert not backend.store.exists(key)


def test_overwrite_replaces_content_and_digest(backend: Backend) -> None:
    key = backend.key("replaced.bin")
    backend.store.put(key, b"first")
    backend.store.put(key, b"second version")

    assert backend.store.stat(key).sha256 == sha256(b"second version")
    assert backend.store.get(key, expected_sha256=sha256(b"second version")) == b"second version"
    with pytest.raises(BlobIntegrityError):
        backend.store.get(key, expected_sha256=sha256(b"first"))


def test_list_returns_keys_under_prefix_in_order(backend: Backend) -> None:
    names = ["b/2.bin", "a.bin", "b/1.bin", "b/deeper/3.bin", "bz.bin"]
    for name in names:
        backend.store.put(backend.key(name), name.encode())
    backend.store.put(f"other-{backend.prefix}x.bin", b"outside the prefix")
    try:
        listed = list(backend.store.list(backend.prefix))
        assert [info.key for info in listed] == sorted(backend.key(name) for name in names)
        assert [info.size for info in listed] == [
            len(info.key) - len(backend.prefix) for info in listed
        ]
        assert [info.key for info in backend.store.list(backend.key("b/"))] == [
            backend.key("b/1.bin"),
            backend.key("b/2.bin"),
            backend.key("b/deeper/3.bin"),
        ]
        assert [info.key for info in backend.store.list(backend.key("b"))] == sorted(
            backend.key(name) for name in names if name.startswith("b")
        )
        assert list(backend.store.list(backend.key("nothing-here/"))) == []
    finally:
        backend.store.delete(f"other-{backend.prefix}x.bin")


def test_delete_really_removes_the_data(backend: Backend) -> None:
    key = backend.key("gone/soon.bin")
    backend.store.put(key, b"secret face data")
    assert backend.raw.keys(backend.prefix) == [key]

    backend.store.delete(key)

    assert backend.raw.keys(backend.prefix) == []
    assert not backend.store.exists(key)
    with pytest.raises(BlobNotFoundError):
        backend.store.get(key, expected_sha256=sha256(b"secret face data"))
    with pytest.raises(BlobNotFoundError):
        backend.store.stat(key)
    backend.store.delete(key)  # idempotent


def test_delete_prefix_removes_only_that_prefix(backend: Backend) -> None:
    for name in ("subject-1/a.bin", "subject-1/nested/b.bin", "subject-2/c.bin"):
        backend.store.put(backend.key(name), b"x")

    assert backend.store.delete_prefix(backend.key("subject-1/")) == 2

    assert backend.raw.keys(backend.prefix) == [backend.key("subject-2/c.bin")]
    assert backend.store.delete_prefix(backend.key("subject-1/")) == 0


def test_streamed_download_of_a_multi_megabyte_blob(backend: Backend, tmp_path: Path) -> None:
    data = os.urandom(12 * 1024 * 1024 + 123)  # above the S3 part size: a multipart upload
    key = backend.key("domain-model.tar")
    info = backend.store.put(key, io.BytesIO(data))
    assert (info.size, info.sha256) == (len(data), sha256(data))
    dest = tmp_path / "cache" / "model.tar"

    backend.store.download(key, dest, expected_sha256=sha256(data))

    assert dest.read_bytes() == data
    assert os.listdir(dest.parent) == ["model.tar"]


def test_download_with_wrong_digest_leaves_nothing(backend: Backend, tmp_path: Path) -> None:
    key = backend.key("artifact.bin")
    backend.store.put(key, b"genuine")
    downloads = tmp_path / "downloads"
    downloads.mkdir()

    with pytest.raises(BlobIntegrityError, match=r"artifact\.bin"):
        backend.store.download(
            key, downloads / "out.bin", expected_sha256=sha256(b"something else")
        )

    assert os.listdir(downloads) == []


def test_download_keeps_the_previous_file_when_verification_fails(
    backend: Backend, tmp_path: Path
) -> None:
    key = backend.key("artifact.bin")
    backend.store.put(key, b"genuine")
    dest = tmp_path / "out.bin"
    dest.write_bytes(b"previous good copy")

    with pytest.raises(BlobIntegrityError):
        backend.store.download(key, dest, expected_sha256=sha256(b"other"))

    assert dest.read_bytes() == b"previous good copy"


def test_corrupted_content_is_detected_on_read(backend: Backend, tmp_path: Path) -> None:
    key = backend.key("corrupt.bin")
    data = b"the real offsets"
    backend.store.put(key, data)
    tampered = bytes([data[0] ^ 0xFF]) + data[1:]

    backend.raw.overwrite_keeping_metadata(key, tampered)

    assert backend.store.stat(key).sha256 == sha256(data)  # metadata still claims the old digest
    with pytest.raises(BlobIntegrityError, match="corrupt"):
        backend.store.get(key, expected_sha256=sha256(data))
    with pytest.raises(BlobIntegrityError):
        backend.store.download(key, tmp_path / "x.bin", expected_sha256=sha256(data))
    assert not (tmp_path / "x.bin").exists()


def test_missing_blob_raises_not_found(backend: Backend, tmp_path: Path) -> None:
    key = backend.key("never-written.bin")
    assert not backend.store.exists(key)
    with pytest.raises(BlobNotFoundError, match="never-written"):
        backend.store.get(key, expected_sha256=sha256(b""))
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with pytest.raises(BlobNotFoundError):
        backend.store.download(key, downloads / "x", expected_sha256=sha256(b""))
    assert os.listdir(downloads) == []


@pytest.mark.parametrize(
    "unsafe",
    ["", "/etc/passwd", "../escape", "a/../../escape", "a//b", "a/./b", "a/", "a\\..\\b", "a\x00b"],
)
def test_unsafe_keys_are_rejected(backend: Backend, unsafe: str) -> None:
    with pytest.raises(InvalidBlobKeyError):
        backend.store.put(unsafe, b"x")
    with pytest.raises(InvalidBlobKeyError):
        backend.store.get(unsafe, expected_sha256=sha256(b"x"))
    with pytest.raises(InvalidBlobKeyError):
        backend.store.stat(unsafe)
    with pytest.raises(InvalidBlobKeyError):
        backend.store.delete(unsafe)


def test_malformed_expected_digest_is_a_value_error(backend: Backend) -> None:
    key = backend.key("a.bin")
    backend.store.put(key, b"x")
    with pytest.raises(ValueError, match="sha256"):
        backend.store.get(key, expected_sha256="not-a-digest")
