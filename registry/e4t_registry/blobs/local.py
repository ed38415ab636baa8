"""A blob store in a local directory: the embedded default.

Layout under ``root``::

    data/<key>      the blob's bytes
    sha256/<key>    the hex sha256 computed when the blob was written (the "sidecar")
    tmp/            files being written; renamed into data/ and sha256/ when complete

Temporary files live on the same filesystem as ``data/`` so the final ``os.replace`` is atomic:
a reader sees the old blob or the new one, never a partial file. The sidecar is only what
`stat` reports; reads always re-hash the bytes and compare with the caller's expected digest.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from .base import CHUNK_SIZE, BlobInfo, BlobStore, fsync_directory, iter_source
from .errors import BlobNotFoundError, BlobStoreError
from .keys import validate_key, validate_prefix


class LocalBlobStore(BlobStore):
    """Blobs as files under a directory (created if missing)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser().absolute()
        self._data = self.root / "data"
        self._sidecars = self.root / "sha256"
        self._tmp = self.root / "tmp"
        for directory in (self._data, self._sidecars, self._tmp):
            directory.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalBlobStore(root={str(self.root)!r})"

    def put(self, key: str, data: bytes | BinaryIO, *, length: int | None = None) -> BlobInfo:
        target = self._data / validate_key(key)
        sidecar = self._sidecars / key
        digest = hashlib.sha256()
        size = 0
        content_tmp = self._temp_path()
        sidecar_tmp = self._temp_path()
        try:
            with content_tmp.open("wb") as out:
                for chunk in iter_source(data, length):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            # Taken now: once renamed, a concurrent delete may remove the blob at any moment.
            modified = _mtime(content_tmp)
            sha256 = digest.hexdigest()
            with sidecar_tmp.open("w", encoding="ascii") as out:
                out.write(sha256)
                out.flush()
                os.fsync(out.fileno())
            try:
                # Dropping the old digest first means a crash between the renames leaves no
                # sidecar (stat reports None) rather than a digest of different content.
                sidecar.unlink(missing_ok=True)
                _replace_into(content_tmp, target)
                _replace_into(sidecar_tmp, sidecar)
            except (IsADirectoryError, NotADirectoryError, FileExistsError) as error:
                raise BlobStoreError(
                    f"blob key {key!r} clashes with another key used as a directory "
                    "(the local store cannot hold both 'a/b' and 'a/b/c')"
                ) from error
        finally:
            content_tmp.unlink(missing_ok=True)
            sidecar_tmp.unlink(missing_ok=True)
        _fsync_unless_pruned(target.parent)
        _fsync_unless_pruned(sidecar.parent)
        return BlobInfo(key=key, size=size, sha256=sha256, last_modified=modified)

    def stat(self, key: str) -> BlobInfo:
        path = self._data / validate_key(key)
        try:
            status = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise self._not_found(key) from None
        if not path.is_file():
            raise self._not_found(key)
        try:
            sha256: str | None = (self._sidecars / key).read_text(encoding="ascii").strip()
        except (FileNotFoundError, NotADirectoryError):
            sha256 = None
        return BlobInfo(
            key=key,
            size=status.st_size,
            sha256=sha256,
            last_modified=datetime.fromtimestamp(status.st_mtime, UTC),
        )

    def delete(self, key: str) -> None:
        validate_key(key)
        for tree in (self._data, self._sidecars):
            path = tree / key
            try:
                path.unlink()
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                continue
            _prune_empty_parents(path.parent, stop_at=tree)

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        validate_prefix(prefix)
        start = self._data / prefix.rpartition("/")[0]
        keys = sorted(key for key in self._walk_keys(start) if key.startswith(prefix))
        for key in keys:
            try:
                status = (self._data / key).stat()
            except FileNotFoundError:
                continue  # deleted while listing
            yield BlobInfo(
                key=key,
                size=status.st_size,
                sha256=None,
                last_modified=datetime.fromtimestamp(status.st_mtime, UTC),
            )

    def _read_chunks(self, key: str) -> Iterator[bytes]:
        path = self._data / validate_key(key)
        try:
            source = path.open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise self._not_found(key) from None
        with source:
            while chunk := source.read(CHUNK_SIZE):
                yield chunk

    def _walk_keys(self, start: Path) -> Iterator[str]:
        if not start.is_dir():
            return
        for directory, _, files in os.walk(start):
            relative = Path(directory).relative_to(self._data)
            for name in files:
                yield (relative / name).as_posix()

    def _temp_path(self) -> Path:
        handle, name = tempfile.mkstemp(dir=self._tmp, suffix=".tmp")
        os.close(handle)
        return Path(name)

    def _not_found(self, key: str) -> BlobNotFoundError:
        return BlobNotFoundError(f"no blob under key {key!r} in {self.root}")


# How often a put re-creates directories that concurrent deletes keep pruning before giving up.
PRUNE_RACE_ATTEMPTS = 100


def _replace_into(source: Path, target: Path) -> None:
    """Rename ``source`` to ``target``, creating its directory (again, if a delete pruned it)."""
    for _ in range(PRUNE_RACE_ATTEMPTS):
        if not _make_directory(target.parent):
            continue
        try:
            os.replace(source, target)
            return
        except FileNotFoundError:
            if not source.exists():
                raise
    raise BlobStoreError(f"could not create the directory for {target}: it kept being removed")


def _make_directory(directory: Path) -> bool:
    """`mkdir -p` that loses no race with `_prune_empty_parents`: True once it exists.

    A concurrent prune can remove a parent between two `mkdir` calls (FileNotFoundError) or
    right after one (FileExistsError from the exist_ok check); both mean "try again". A
    component that is a file is a key clash and raises.
    """
    try:
        os.makedirs(directory, exist_ok=True)
        return True
    except (FileNotFoundError, FileExistsError):
        for part in (directory, *directory.parents):
            if _is_non_directory(part):
                raise NotADirectoryError(f"{part} is a file") from None
        return False


def _is_non_directory(path: Path) -> bool:
    try:
        mode = path.stat().st_mode  # one stat: exists() then is_dir() would race a prune
    except (FileNotFoundError, NotADirectoryError):
        return False
    return not stat.S_ISDIR(mode)


def _fsync_unless_pruned(directory: Path) -> None:
    """Make the rename durable; a directory gone meanwhile was pruned by a concurrent delete
    of this very blob, which is then ordered after the put and nothing is left to persist."""
    with contextlib.suppress(FileNotFoundError):
        fsync_directory(directory)


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _prune_empty_parents(directory: Path, *, stop_at: Path) -> None:
    """Remove now-empty directories up to (not including) ``stop_at``."""
    while directory != stop_at:
        try:
            directory.rmdir()
        except OSError:
            return  # not empty (or recreated by a concurrent put): keep it
        directory = directory.parent
