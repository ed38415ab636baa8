"""Consent lifecycle: grant, revoke, expire, and erase a subject.

A concept exists only under an active consent of its subject for the right purpose. When that
consent is revoked, or lapses past its expiry, every concept under it is DISABLED at once, its
versions (rows and artifact blobs) and the consent's source images are erased, and an
ErasureRecord says what was erased, when and by whom. Rows are removed in one transaction
first; blobs right after (see `erasure`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine

from e4t_registry.blob_keys import concept_prefix, subject_prefix
from e4t_registry.blobs import BlobStore
from e4t_registry.erasure import BlobErasure
from e4t_registry.errors import (
    AlreadyExistsError,
    ConsentRequiredError,
    FailedPreconditionError,
    InvalidArgumentError,
)
from e4t_registry.models import (
    FACE_PERSONALIZATION,
    ConceptStatus,
    ConsentRecord,
    ErasureRecord,
    Subject,
    utcnow,
)
from e4t_registry.paging import Page
from e4t_registry.sweeper import referenced_keys
from e4t_registry.uow import UnitOfWork

EXPIRY_ACTOR = "system:consent-expiry"


def require_active_consent(
    uow: UnitOfWork,
    tenant_id: uuid.UUID,
    *,
    consent_id: uuid.UUID,
    subject_id: uuid.UUID,
    purpose: str,
    now: datetime,
) -> ConsentRecord:
    """The consent, locked for this transaction, if it lets `subject_id` be used for `purpose`.

    The row lock makes a concurrent revocation wait for (or be waited on by) this transaction.
    """
    consent = uow.consents.find(tenant_id, consent_id, for_update=True)
    if consent is None or consent.subject_id != subject_id:
        raise ConsentRequiredError("no consent record of this subject with that id")
    if consent.purpose != purpose:
        raise ConsentRequiredError(f"consent is for {consent.purpose!r}, not {purpose!r}")
    if not consent.is_active(now):
        raise ConsentRequiredError("consent has been revoked or has expired")
    return consent


class ConsentService:
    """Grants and ends consent, and erases subjects; every change is audited."""

    def __init__(
        self, engine: Engine, blobs: BlobStore, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.engine = engine
        self.blobs = blobs
        self.clock = clock

    def grant(
        self,
        tenant_id: uuid.UUID,
        *,
        subject_external_id: str,
        notice_version: str,
        method: str,
        purpose: str = FACE_PERSONALIZATION,
        expires_at: datetime | None = None,
        actor: str,
    ) -> ConsentRecord:
        """Record a consent, creating the subject on first sight of its external id."""
        now = self.clock()
        if not subject_external_id or not notice_version or not method or not purpose:
            raise InvalidArgumentError("subject, purpose, notice version and method are required")
        if expires_at is not None and (expires_at.tzinfo is None or expires_at <= now):
            raise InvalidArgumentError("expires_at must be a timezone-aware time in the future")
        with UnitOfWork(self.engine) as uow:
            subject = self._subject(uow, tenant_id, subject_external_id)
            consent = uow.consents.add(
                tenant_id,
                ConsentRecord(
                    tenant_id=tenant_id,
                    subject_id=subject.id,
                    purpose=purpose,
                    notice_version=notice_version,
                    method=method,
                    granted_at=now,
                    expires_at=expires_at,
                ),
            )
            uow.audit.append(
                actor=actor,
                action="consent.grant",
                tenant_id=tenant_id,
                resource=f"tenants/{tenant_id}/consents/{consent.id}",
                details={
                    "subject_id": str(subject.id),
                    "purpose": purpose,
                    "notice_version": notice_version,
                    "method": method,
                    "expires_at": None if expires_at is None else expires_at.isoformat(),
                },
            )
            uow.commit()
        return consent

    @staticmethod
    def _subject(uow: UnitOfWork, tenant_id: uuid.UUID, external_id: str) -> Subject:
        """The subject with this external id, created on first sight."""
        subject = uow.subjects.find_by_external_id(tenant_id, external_id)
        if subject is not None:
            return subject
        uow.tenants.get(tenant_id)
        try:
            return uow.subjects.add(
                tenant_id, Subject(tenant_id=tenant_id, external_id=external_id)
            )
        except AlreadyExistsError:
            # A concurrent grant created it first (the savepoint kept this transaction usable).
            return uow.subjects.get_by_external_id(tenant_id, external_id)

    def get(self, tenant_id: uuid.UUID, consent_id: uuid.UUID) -> ConsentRecord:
        with UnitOfWork(self.engine, read_only=True) as uow:
            return uow.consents.get(tenant_id, consent_id)

    def list(
        self,
        tenant_id: uuid.UUID,
        *,
        subject_id: uuid.UUID | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Page[ConsentRecord]:
        with UnitOfWork(self.engine, read_only=True) as uow:
            return uow.consents.list(
                tenant_id, subject_id=subject_id, page_size=page_size, page_token=page_token
            )

    def revoke(self, tenant_id: uuid.UUID, consent_id: uuid.UUID, *, actor: str) -> ErasureRecord:
        """Revoke a consent: disable its concepts and erase their data at once."""
        with UnitOfWork(self.engine) as uow:
            consent = uow.consents.get(tenant_id, consent_id, for_update=True)
            if consent.revoked_at is not None or consent.lapsed_at is not None:
                raise FailedPreconditionError(f"consent {consent_id} has already ended")
            consent.revoked_at = self.clock()
            uow.session.add(consent)
            record, erasure = _end_consent(uow, consent, reason="consent-revoked", actor=actor)
            uow.audit.append(
                actor=actor,
                action="consent.revoke",
                tenant_id=tenant_id,
                resource=f"tenants/{tenant_id}/consents/{consent.id}",
                details={"erasure_id": str(record.id), **record.counts},
            )
            uow.commit()
        erasure.run(self.blobs)
        return record

    def lapse_expired(self, *, limit: int = 100) -> int:
        """End every consent past its expiry (all tenants); the server calls this periodically.

        Returns how many consents were ended. Use-time checks reject expired consent even
        before this runs.
        """
        now = self.clock()
        with UnitOfWork(self.engine, read_only=True) as uow:
            due = uow.consents.due_to_lapse(now, limit)
        ended = 0
        for tenant_id, consent_id in due:
            with UnitOfWork(self.engine) as uow:
                consent = uow.consents.get(tenant_id, consent_id, for_update=True)
                if consent.revoked_at is not None or consent.lapsed_at is not None:
                    continue  # ended by someone else meanwhile
                consent.lapsed_at = now
                uow.session.add(consent)
                record, erasure = _end_consent(
                    uow, consent, reason="consent-expired", actor=EXPIRY_ACTOR
                )
                uow.audit.append(
                    actor=EXPIRY_ACTOR,
                    action="consent.expire",
                    tenant_id=tenant_id,
                    resource=f"tenants/{tenant_id}/consents/{consent.id}",
                    details={"erasure_id": str(record.id), **record.counts},
                )
                uow.commit()
            erasure.run(self.blobs)
            ended += 1
        return ended

    def erase_subject(
        self, tenant_id: uuid.UUID, subject_id: uuid.UUID, *, actor: str
    ) -> ErasureRecord:
        """Remove everything about a subject: concepts, versions, images, consents, the subject."""
        with UnitOfWork(self.engine) as uow:
            record, erasure = erase_subject_rows(
                uow, tenant_id, subject_id, reason="erasure", actor=actor
            )
            uow.commit()
        erasure.run(self.blobs)
        return record


def erase_subject_rows(
    uow: UnitOfWork, tenant_id: uuid.UUID, subject_id: uuid.UUID, *, reason: str, actor: str
) -> tuple[ErasureRecord, BlobErasure]:
    """Delete a subject's rows in `uow` and audit it; the caller commits, then runs the erasure.

    Used by `erase_subject` and by tenant deletion (reason `tenant-deleted`).
    """
    subject = uow.subjects.get(tenant_id, subject_id)
    concepts = uow.concepts.list_for_subject(tenant_id, subject_id)
    versions = uow.concept_versions.list_for_concepts(
        tenant_id, [concept.id for concept in concepts]
    )
    images = uow.source_images.list_for_subject(tenant_id, subject_id)
    erasure = BlobErasure()
    erasure.add_keys(version.artifact_key for version in versions)
    erasure.add_keys(image.blob_key for image in images)
    erasure.prefixes.update(concept_prefix(tenant_id, concept.id) for concept in concepts)
    erasure.prefixes.add(subject_prefix(tenant_id, subject_id))
    uow.concept_versions.delete_rows(versions)
    uow.source_images.delete_rows(images)  # before the concepts they may name
    uow.concepts.delete_rows(concepts)
    consents = uow.consents.delete_for_subject(tenant_id, subject_id)
    uow.session.delete(subject)
    uow.session.flush()
    record = uow.erasures.add(
        tenant_id,
        ErasureRecord(
            tenant_id=tenant_id,
            subject_id=subject_id,
            reason=reason,
            actor=actor,
            counts={
                "concepts": len(concepts),
                "concept_versions": len(versions),
                "source_images": len(images),
                "consents": consents,
            },
        ),
    )
    uow.audit.append(
        actor=actor,
        action="subject.erase",
        tenant_id=tenant_id,
        resource=f"tenants/{tenant_id}/subjects/{subject_id}",
        details={"erasure_id": str(record.id), **record.counts},
    )
    return record, erasure


def _end_consent(
    uow: UnitOfWork, consent: ConsentRecord, *, reason: str, actor: str
) -> tuple[ErasureRecord, BlobErasure]:
    """Disable the consent's concepts and drop their versions and images (rows only)."""
    tenant_id = consent.tenant_id
    concepts = uow.concepts.list_for_subject(tenant_id, consent.subject_id, consent_id=consent.id)
    versions = uow.concept_versions.list_for_concepts(tenant_id, [c.id for c in concepts])
    images = uow.source_images.list_for_subject(
        tenant_id, consent.subject_id, consent_id=consent.id
    )
    erasure = BlobErasure()
    erasure.add_keys(version.artifact_key for version in versions)
    erasure.prefixes.update(concept_prefix(tenant_id, concept.id) for concept in concepts)
    uow.concept_versions.delete_rows(versions)
    uow.source_images.delete_rows(images)
    # The same photo may also be kept under another consent of the subject: keep that blob.
    image_keys = {image.blob_key for image in images}
    erasure.add_keys(image_keys - referenced_keys(uow.session, image_keys))
    for concept in concepts:
        if concept.status != ConceptStatus.DELETED:
            uow.concepts.set_status(concept, ConceptStatus.DISABLED, reason)
    record = uow.erasures.add(
        tenant_id,
        ErasureRecord(
            tenant_id=tenant_id,
            subject_id=consent.subject_id,
            reason=reason,
            actor=actor,
            counts={
                "concepts_disabled": len(concepts),
                "concept_versions": len(versions),
                "source_images": len(images),
            },
        ),
    )
    return record, erasure
