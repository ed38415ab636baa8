"""Local-directory specifics: on-disk layout, atomic writes, containment, pruning."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from e4t_registry.blobs import BlobStoreError, InvalidBlobKeyError, LocalBlobStore


def files_under(root: Path) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())


def test_blob_and_sha256_sidecar_layout(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "store")

    store.put("tenants/t1/a.bin", b"abc")

    assert files_under(tmp_path / "store") == ["data/tenants/t1/a.bin", "sha256/tenants/t1/a.bin"]
    sidecar = tmp_path / "store" / "sha256" / "tenants" / "t1" / "a.bin"
    assert sidecar.read_text() == hashlib.sha256(b"abc").hexdigest()


def test_a_failed_write_leaves_neither_blob_nor_temp_file(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "store")
    store.put("k.bin", b"old")

    class BrokenStream:
        def __init__(self) -> None:
            self.calls = 0

        def read(self, size: int = -1) -> bytes:
            self.calls += 1
            if self.calls > 1:
                raise OSError("disk reader failed")
            return b"partial new content"

    with pytest.raises(OSError, match="disk reader failed"):
        store.put("k.bin", BrokenStream())  # type: ignore[arg-type]

    assert store.get("k.bin", expected_sha256=hashlib.sha256(b"old").hexdigest()) == b"old"
    assert files_under(tmp_path / "store") == ["data/k.bin", "sha256/k.bin"]


def test_keys_cannot_escape_the_root(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "store")

    for key in ("../outside.bin", "data/../../outside.bin", "/tmp/outside.bin"):
        with pytest.raises(InvalidBlobKeyError):
            store.put(key, b"x")
    with pytest.raises(InvalidBlobKeyError):
        list(store.list("../"))

    assert files_under(tmp_path) == []


def test_delete_prunes_empty_directories(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "store")
    store.put("tenants/t1/concepts/c1/a.bin", b"x")
    store.put("tenants/t1/keep.bin", b"y")

    store.delete("tenants/t1/concepts/c1/a.bin")

    assert not (tmp_path / "store" / "data" / "tenants" / "t1" / "concepts").exists()
    assert not (tmp_path / "store" / "sha256" / "tenants" / "t1" / "concepts").exists()
    assert store.exists("tenants/t1/keep.bin")


def test_a_key_used_as_a_directory_cannot_also_be_a_blob(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "store")
    store.put("a/b", b"file")

    with pytest.raises(BlobStoreError, match="clashes"):
        store.put("a/b/c", b"nested")
    assert store.get("a/b", expected_sha256=hashlib.sha256(b"file").hexdigest()) == b"file"


def test_puts_racing_prefix_deletes_never_raise(tmp_path: Path) -> None:
    # A delete prunes empty directories; a put into the same directory must still succeed
    # (its blob then exists, or a later delete removed it) and never leak an OSError.
    store = LocalBlobStore(tmp_path / "store")
    errors: list[BaseException] = []
    stop = threading.Event()

    def put_many(worker: int) -> None:
        try:
            for n in range(150):
                info = store.put(f"tenants/t/concepts/c{n % 3}/v{worker}-{n}.bin", b"x" * 64)
                assert info.size == 64
        except BaseException as error:  # reported by the test thread
            errors.append(error)

    def delete_repeatedly() -> None:
        while not stop.is_set():
            try:
                store.delete_prefix("tenants/t/concepts/")
            except BaseException as error:
                errors.append(error)
                return

    deleter = threading.Thread(target=delete_repeatedly)
    writers = [threading.Thread(target=put_many, args=(w,)) for w in range(3)]
    deleter.start()
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    stop.set()
    deleter.join()

    assert errors == []
    store.delete_prefix("tenants/t/")
    assert files_under(tmp_path / "store" / "data") == []
