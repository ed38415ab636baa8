"""The orphan-blob sweeper.

Uploads happen before the rows that reference them commit, so an unreferenced blob is either
garbage (the commit never happened) or an upload whose commit is still in flight. The grace
period tells them apart: only blobs older than it, and referenced by no row, are deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from e4t_registry.blob_keys import TENANTS_ROOT
from e4t_registry.blobs import BlobNotFoundError, BlobStore
from e4t_registry.models import ConceptVersion, DomainModelVersion, SourceImage, utcnow
from e4t_registry.uow import UnitOfWork

DEFAULT_GRACE = timedelta(hours=1)
SWEEPER_ACTOR = "system:sweeper"
_BATCH = 500
_KEY_COLUMNS = (
    col(ConceptVersion.artifact_key),
    col(DomainModelVersion.artifact_key),
    col(SourceImage.blob_key),
)


@dataclass
class SweepReport:
    scanned: int = 0
    deleted: list[str] = field(default_factory=list)


def referenced_keys(session: Session, keys: Iterable[str]) -> set[str]:
    """Which of `keys` some row still points at."""
    wanted = list(keys)
    found: set[str] = set()
    for start in range(0, len(wanted), _BATCH):
        chunk = wanted[start : start + _BATCH]
        for column in _KEY_COLUMNS:
            found.update(session.execute(sa.select(column).where(column.in_(chunk))).scalars())
    return found


def sweep_orphan_blobs(
    engine: Engine,
    blobs: BlobStore,
    *,
    grace: timedelta = DEFAULT_GRACE,
    clock: Callable[[], datetime] = utcnow,
) -> SweepReport:
    """Delete blobs under `tenants/` that are older than `grace` and referenced by no row."""
    report = SweepReport()
    cutoff = clock() - grace
    candidates: list[str] = []
    for info in blobs.list(TENANTS_ROOT):
        report.scanned += 1
        if info.last_modified < cutoff:
            candidates.append(info.key)
    with Session(engine) as session:
        keep = referenced_keys(session, candidates)
    for key in candidates:
        if key in keep:
            continue
        try:
            # A re-upload of the same content refreshes the blob: it is in use again.
            if blobs.stat(key).last_modified >= cutoff:
                continue
        except BlobNotFoundError:
            continue
        blobs.delete(key)
        report.deleted.append(key)
    if report.deleted:
        with UnitOfWork(engine) as uow:
            uow.audit.append(
                actor=SWEEPER_ACTOR,
                action="blob.sweep",
                details={"deleted": len(report.deleted), "scanned": report.scanned},
            )
            uow.commit()
    return report
