"""Deleting blobs after the rows that pointed at them are gone.

Rows go first (in the committed transaction), blobs second: a crash in between leaves only
unreferenced blobs, which the sweeper removes; it never leaves a row pointing at nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from e4t_registry.blobs import BlobStore, BlobStoreError

logger = logging.getLogger(__name__)


@dataclass
class BlobErasure:
    """Blobs to remove once the transaction that dropped their rows has committed."""

    keys: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)

    def add_keys(self, keys: Iterable[str]) -> None:
        self.keys.update(keys)

    def run(self, blobs: BlobStore) -> int:
        """Delete everything listed; failures are logged and left to the sweeper."""
        deleted = 0
        for key in sorted(self.keys):
            try:
                blobs.delete(key)
                deleted += 1
            except BlobStoreError:
                logger.warning("could not delete blob %s; the sweeper will retry", key)
        for prefix in sorted(self.prefixes):
            try:
                deleted += blobs.delete_prefix(prefix)
            except BlobStoreError:
                logger.warning("could not delete blobs under %s; the sweeper will retry", prefix)
        return deleted
