"""Materializing a domain model version on a replica: download, verify sha256, unpack, cache.

Each version is unpacked once per machine into `{cache}/{sha256}/`; a marker file written last
tells a complete unpack from one that died halfway, which is removed and redone.
"""

from __future__ import annotations

import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path

from e4t_registry.blobs import BlobStore

MODEL_CONFIG_FILE = "e4t_config.json"
_COMPLETE = ".complete"


def materialize(blobs: BlobStore, key: str, sha256: str, cache_root: Path) -> Path:
    """The directory of the unpacked domain model stored at `key` (verified against `sha256`)."""
    target = cache_root / sha256
    if (target / _COMPLETE).exists():
        return model_directory(target)
    cache_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_root) as work:
        archive = Path(work) / "archive"
        blobs.download(key, archive, expected_sha256=sha256)
        unpacked = Path(work) / "unpacked"
        unpack(archive, unpacked)
        model_directory(unpacked)  # fail now if the archive holds no domain model
        (unpacked / _COMPLETE).touch()
        shutil.rmtree(target, ignore_errors=True)
        unpacked.rename(target)
    return model_directory(target)


def unpack(archive: Path, destination: Path) -> None:
    """Extract a tar, tar.gz or zip archive, refusing members that would land outside it."""
    destination.mkdir(parents=True)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as bundle:
            for member in bundle.namelist():
                if not (destination / member).resolve().is_relative_to(destination.resolve()):
                    raise ValueError(f"archive member {member!r} escapes the archive")
            bundle.extractall(destination)
        return
    with tarfile.open(archive, mode="r:*") as bundle:
        bundle.extractall(destination, filter="data")


def model_directory(root: Path) -> Path:
    """The model inside an unpacked archive: at its root or in its single top-level folder."""
    if (root / MODEL_CONFIG_FILE).exists():
        return root
    children = [child for child in root.iterdir() if child.is_dir()]
    if len(children) == 1 and (children[0] / MODEL_CONFIG_FILE).exists():
        return children[0]
    raise ValueError(f"the archive holds no domain model ({MODEL_CONFIG_FILE} not found)")
