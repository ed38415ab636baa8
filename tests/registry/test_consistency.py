"""Blob/row consistency: blob first, row second; the sweeper removes what a failure leaves."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session

from e4t_registry.blob_keys import concept_artifact_key
from e4t_registry.blobs import BlobIntegrityError, BlobStoreAuthError, S3BlobStore
from e4t_registry.errors import ConsentRequiredError, FailedPreconditionError
from e4t_registry.models import Concept, ConceptStatus, ConceptVersion, utcnow
from e4t_registry.sweeper import sweep_orphan_blobs
from tests.registry.conftest import ADMIN, RegistryBackend, TenantWorld

ARTIFACT = b"offsets-v1"


class InjectedCrash(RuntimeError):
    """Raised from inside the real commit path to simulate a failure after the upload."""


@pytest.fixture
def crash_on_version_flush() -> Iterator[None]:
    """Make every flush that inserts a ConceptVersion fail, via SQLAlchemy's real flush hook."""

    def before_flush(session: Session, _context: Any, _instances: Any) -> None:
        if any(isinstance(row, ConceptVersion) for row in session.new):
            raise InjectedCrash("database went away after the upload")

    event.listen(Session, "before_flush", before_flush)
    try:
        yield
    finally:
        event.remove(Session, "before_flush", before_flush)


def _concept(backend: RegistryBackend, world: TenantWorld) -> Concept:
    return backend.registry.concepts.create(
        world.tenant.id,
        domain_id=world.domain.id,
        subject_id=world.subject_id,
        consent_id=world.consent_id,
        actor=ADMIN,
    )


def test_failure_after_upload_leaves_no_row_and_sweeper_removes_the_orphan(
    backend: RegistryBackend, world: TenantWorld, crash_on_version_flush: None
) -> None:
    concept = _concept(backend, world)
    orphan = concept_artifact_key(world.tenant.id, concept.id, hashlib.sha256(ARTIFACT).hexdigest())

    with pytest.raises(InjectedCrash):
        backend.registry.concepts.add_version(
            world.tenant.id,
            concept.id,
            domain_model_version_id=world.domain_version_id,
            artifact=ARTIFACT,
            actor=ADMIN,
        )

    assert backend.all_rows()["concept_version"] == []
    assert (
        backend.registry.concepts.get(world.tenant.id, concept.id).status == ConceptStatus.PENDING
    )
    assert orphan in backend.blob_keys()
    # Within the grace period the blob may still be an upload in flight: it stays.
    assert sweep_orphan_blobs(backend.engine, backend.blobs).deleted == []
    later = sweep_orphan_blobs(
        backend.engine,
        backend.blobs,
        grace=timedelta(minutes=5),
        clock=lambda: utcnow() + timedelta(minutes=10),
    )
    assert later.deleted == [orphan]
    assert orphan not in backend.blob_keys()


def test_sweeper_keeps_every_referenced_blob(backend: RegistryBackend, world: TenantWorld) -> None:
    concept = _concept(backend, world)
    version = backend.registry.concepts.add_version(
        world.tenant.id,
        concept.id,
        domain_model_version_id=world.domain_version_id,
        artifact=ARTIFACT,
        actor=ADMIN,
    )
    before = backend.blob_keys()

    report = sweep_orphan_blobs(
        backend.engine,
        backend.blobs,
        grace=timedelta(0),
        clock=lambda: utcnow() + timedelta(days=1),
    )

    assert report.deleted == [] and report.scanned == len(before) == 2
    assert backend.registry.concepts.read_artifact(version) == ARTIFACT


def test_corrupted_artifact_is_never_served(backend: RegistryBackend, world: TenantWorld) -> None:
    concept = _concept(backend, world)
    version = backend.registry.concepts.add_version(
        world.tenant.id,
        concept.id,
        domain_model_version_id=world.domain_version_id,
        artifact=ARTIFACT,
        actor=ADMIN,
    )
    # Overwrite the stored bytes behind the registry's back.
    backend.blobs.put(version.artifact_key, b"offsets-v2")

    with pytest.raises(BlobIntegrityError):
        backend.registry.concepts.read_artifact(version)


@pytest.mark.s3
def test_wrong_s3_credentials_fail_clearly(s3_server: Any) -> None:
    store = S3BlobStore(
        endpoint=s3_server.endpoint,
        bucket=s3_server.bucket,
        access_key=s3_server.access_key,
        secret_key="not-the-secret",
        secure=False,
        region="us-east-1",
    )
    with pytest.raises(BlobStoreAuthError, match=s3_server.endpoint):
        store.put("tenants/x/probe", b"x")


def test_revocation_racing_version_uploads_leaves_nothing_behind(
    backend: RegistryBackend, world: TenantWorld
) -> None:
    concepts = [_concept(backend, world) for _ in range(3)]
    start = threading.Barrier(len(concepts) + 1)
    unexpected: list[BaseException] = []

    def upload(concept: Concept) -> None:
        start.wait()
        for n in range(3):
            try:
                backend.registry.concepts.add_version(
                    world.tenant.id,
                    concept.id,
                    domain_model_version_id=world.domain_version_id,
                    artifact=f"{concept.id}-{n}".encode(),
                    actor=ADMIN,
                )
            except (ConsentRequiredError, FailedPreconditionError):
                return  # the revocation won: expected
            except BaseException as exc:  # collected and checked by the test thread
                unexpected.append(exc)
                return

    def revoke() -> None:
        start.wait()
        try:
            backend.registry.consent.revoke(world.tenant.id, world.consent_id, actor=ADMIN)
        except BaseException as exc:
            unexpected.append(exc)

    threads = [threading.Thread(target=upload, args=(c,)) for c in concepts]
    threads.append(threading.Thread(target=revoke))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert unexpected == []
    assert backend.all_rows()["concept_version"] == []
    statuses = {c.status for c in backend.registry.concepts.list(world.tenant.id).items}
    assert statuses == {ConceptStatus.DISABLED}
    # Uploads that lost the race may have left blobs; the sweeper takes them.
    sweep_orphan_blobs(
        backend.engine,
        backend.blobs,
        grace=timedelta(0),
        clock=lambda: utcnow() + timedelta(days=1),
    )
    assert not [k for k in backend.blob_keys() if "/concepts/" in k]
