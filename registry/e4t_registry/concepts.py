"""Concepts: creation under consent, versions (blob first, row second), source images.

Adding a version uploads the artifact to its content-addressed key first and only then
commits the row that points at it, re-checking consent under a row lock in that same
transaction. Any failure after the upload leaves an unreferenced blob, never a row pointing at
a missing blob; the sweeper deletes such blobs after a grace period.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from e4t_registry.blob_keys import concept_artifact_key, concept_prefix, source_image_key
from e4t_registry.blobs import BlobStore
from e4t_registry.consent import require_active_consent
from e4t_registry.erasure import BlobErasure
from e4t_registry.errors import FailedPreconditionError, InvalidArgumentError
from e4t_registry.models import (
    FACE_PERSONALIZATION,
    Concept,
    ConceptStatus,
    ConceptVersion,
    SourceImage,
    utcnow,
)
from e4t_registry.paging import Page
from e4t_registry.staging import ArtifactSource, staged, upload_checked
from e4t_registry.sweeper import referenced_keys
from e4t_registry.uow import UnitOfWork

_WRITABLE = (ConceptStatus.PENDING, ConceptStatus.ACTIVE)


def concept_name(concept: Concept) -> str:
    return f"tenants/{concept.tenant_id}/concepts/{concept.id}"


class ConceptService:
    """Concept lifecycle for one registry; every change is audited."""

    def __init__(
        self,
        engine: Engine,
        blobs: BlobStore,
        *,
        purpose: str = FACE_PERSONALIZATION,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.blobs = blobs
        self.purpose = purpose
        self.clock = clock

    def create(
        self,
        tenant_id: uuid.UUID,
        *,
        domain_id: uuid.UUID,
        subject_id: uuid.UUID,
        consent_id: uuid.UUID,
        display_name: str = "",
        actor: str,
    ) -> Concept:
        """Create a PENDING concept; ConsentRequiredError without active, matching consent."""
        with UnitOfWork(self.engine) as uow:
            uow.domains.get(tenant_id, domain_id)
            require_active_consent(
                uow,
                tenant_id,
                consent_id=consent_id,
                subject_id=subject_id,
                purpose=self.purpose,
                now=self.clock(),
            )
            concept = uow.concepts.add(
                tenant_id,
                Concept(
                    tenant_id=tenant_id,
                    domain_id=domain_id,
                    subject_id=subject_id,
                    consent_id=consent_id,
                    display_name=display_name,
                ),
            )
            uow.audit.append(
                actor=actor,
                action="concept.create",
                tenant_id=tenant_id,
                resource=concept_name(concept),
                details={"domain_id": str(domain_id), "consent_id": str(consent_id)},
            )
            uow.commit()
        return concept

    def add_version(
        self,
        tenant_id: uuid.UUID,
        concept_id: uuid.UUID,
        *,
        domain_model_version_id: uuid.UUID,
        artifact: ArtifactSource,
        tuning_params: dict[str, Any] | None = None,
        metrics: dict[str, Any] | None = None,
        actor: str,
    ) -> ConceptVersion:
        """Store a new artifact and commit the version row pointing at it."""
        self._writable(tenant_id, concept_id)  # fail before uploading anything
        with staged(artifact) as content:
            key = concept_artifact_key(tenant_id, concept_id, content.sha256)
            upload_checked(self.blobs, key, content)
        with UnitOfWork(self.engine) as uow:
            concept = self._writable(tenant_id, concept_id, uow=uow)
            domain_version = uow.domain_versions.get(tenant_id, domain_model_version_id)
            if domain_version.domain_id != concept.domain_id:
                raise InvalidArgumentError("domain model version is of another domain")
            version = uow.concept_versions.add(
                tenant_id,
                ConceptVersion(
                    tenant_id=tenant_id,
                    concept_id=concept_id,
                    version=uow.concept_versions.next_number(tenant_id, concept_id),
                    domain_model_version_id=domain_model_version_id,
                    artifact_key=key,
                    artifact_sha256=content.sha256,
                    artifact_size=content.size,
                    tuning_params=tuning_params or {},
                    metrics=metrics or {},
                ),
            )
            uow.concepts.set_status(concept, ConceptStatus.ACTIVE)
            uow.audit.append(
                actor=actor,
                action="concept.version.create",
                tenant_id=tenant_id,
                resource=f"{concept_name(concept)}/versions/{version.version}",
                details={"sha256": content.sha256, "size": content.size},
            )
            uow.commit()
        return version

    def add_source_image(
        self,
        tenant_id: uuid.UUID,
        *,
        subject_id: uuid.UUID,
        consent_id: uuid.UUID,
        image: bytes,
        extension: str,
        concept_id: uuid.UUID | None = None,
        actor: str,
    ) -> SourceImage:
        """Keep a subject's photo under their consent (blob first, row second).

        With `concept_id` the photo is the one that concept is made from (the concept must be
        of the same subject and consent, and not DISABLED or DELETED); `RepersonalizeConcept`
        tunes from it again.
        """
        with staged(image) as content:
            key = source_image_key(tenant_id, subject_id, content.sha256, extension)
            with UnitOfWork(self.engine) as uow:  # fail before uploading anything
                self._consent(uow, tenant_id, consent_id, subject_id)
                self._image_concept(uow, tenant_id, concept_id, subject_id, consent_id)
            upload_checked(self.blobs, key, content)
        with UnitOfWork(self.engine) as uow:
            self._consent(uow, tenant_id, consent_id, subject_id)
            self._image_concept(uow, tenant_id, concept_id, subject_id, consent_id)
            row = uow.source_images.add(
                tenant_id,
                SourceImage(
                    tenant_id=tenant_id,
                    subject_id=subject_id,
                    consent_id=consent_id,
                    concept_id=concept_id,
                    blob_key=key,
                    sha256=content.sha256,
                    size=content.size,
                ),
            )
            details: dict[str, Any] = {"size": content.size}
            if concept_id is not None:
                details["concept_id"] = str(concept_id)
            uow.audit.append(
                actor=actor,
                action="source_image.create",
                tenant_id=tenant_id,
                resource=f"tenants/{tenant_id}/subjects/{subject_id}/images/{row.id}",
                details=details,
            )
            uow.commit()
        return row

    @staticmethod
    def _image_concept(
        uow: UnitOfWork,
        tenant_id: uuid.UUID,
        concept_id: uuid.UUID | None,
        subject_id: uuid.UUID,
        consent_id: uuid.UUID,
    ) -> None:
        if concept_id is None:
            return
        concept = uow.concepts.get(tenant_id, concept_id, for_update=True)
        if concept.subject_id != subject_id or concept.consent_id != consent_id:
            raise InvalidArgumentError("the concept is of another subject or consent")
        if concept.status not in _WRITABLE:
            raise FailedPreconditionError(f"concept {concept_id} is {concept.status}")

    def source_image(self, tenant_id: uuid.UUID, concept_id: uuid.UUID) -> SourceImage | None:
        """The newest source image kept for the concept, or None."""
        with UnitOfWork(self.engine, read_only=True) as uow:
            uow.concepts.get(tenant_id, concept_id)
            images = uow.source_images.list_for_concept(tenant_id, concept_id)
        return images[0] if images else None

    def read_source_image(self, image: SourceImage) -> bytes:
        """The image's bytes, verified against the recorded sha256."""
        return self.blobs.get(image.blob_key, expected_sha256=image.sha256)

    def delete(self, tenant_id: uuid.UUID, concept_id: uuid.UUID, *, actor: str) -> Concept:
        """Mark the concept DELETED and erase its versions and source images (rows, then blobs).

        A source image blob that another row still references (the same photo kept for another
        concept) stays.
        """
        concept = self._delete(tenant_id, concept_id, actor=actor, only_pending=False)
        assert concept is not None  # only_pending=False always deletes
        return concept

    def discard_unfinished(
        self, tenant_id: uuid.UUID, concept_id: uuid.UUID, *, actor: str
    ) -> bool:
        """Delete the concept like `delete` if no version ever landed (still PENDING), checked
        under the concept's row lock so a version landing meanwhile keeps it; True if deleted."""
        return self._delete(tenant_id, concept_id, actor=actor, only_pending=True) is not None

    def _delete(
        self, tenant_id: uuid.UUID, concept_id: uuid.UUID, *, actor: str, only_pending: bool
    ) -> Concept | None:
        with UnitOfWork(self.engine) as uow:
            concept = uow.concepts.get(tenant_id, concept_id, for_update=True)
            if only_pending and concept.status != ConceptStatus.PENDING:
                return None
            versions = uow.concept_versions.list_for_concepts(tenant_id, [concept_id])
            images = uow.source_images.list_for_concept(tenant_id, concept_id)
            erasure = BlobErasure()
            erasure.add_keys(version.artifact_key for version in versions)
            erasure.prefixes.add(concept_prefix(tenant_id, concept_id))
            uow.concept_versions.delete_rows(versions)
            uow.source_images.delete_rows(images)
            image_keys = {image.blob_key for image in images}
            erasure.add_keys(image_keys - referenced_keys(uow.session, image_keys))
            uow.concepts.set_status(concept, ConceptStatus.DELETED, "deleted")
            uow.audit.append(
                actor=actor,
                action="concept.delete",
                tenant_id=tenant_id,
                resource=concept_name(concept),
                details={"concept_versions": len(versions), "source_images": len(images)},
            )
            uow.commit()
        erasure.run(self.blobs)
        return concept

    def get(self, tenant_id: uuid.UUID, concept_id: uuid.UUID) -> Concept:
        with UnitOfWork(self.engine, read_only=True) as uow:
            return uow.concepts.get(tenant_id, concept_id)

    def list(
        self,
        tenant_id: uuid.UUID,
        *,
        domain_id: uuid.UUID | None = None,
        subject_id: uuid.UUID | None = None,
        status: ConceptStatus | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Page[Concept]:
        with UnitOfWork(self.engine, read_only=True) as uow:
            return uow.concepts.list(
                tenant_id,
                domain_id=domain_id,
                subject_id=subject_id,
                status=status,
                page_size=page_size,
                page_token=page_token,
            )

    def latest_version(self, tenant_id: uuid.UUID, concept_id: uuid.UUID) -> ConceptVersion:
        """The newest version of an ACTIVE concept (FailedPrecondition otherwise)."""
        with UnitOfWork(self.engine, read_only=True) as uow:
            concept = uow.concepts.get(tenant_id, concept_id)
            version = uow.concept_versions.latest(tenant_id, concept_id)
            if concept.status != ConceptStatus.ACTIVE or version is None:
                raise FailedPreconditionError(f"concept {concept_id} is {concept.status}")
            return version

    def list_versions(
        self,
        tenant_id: uuid.UUID,
        concept_id: uuid.UUID,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Page[ConceptVersion]:
        with UnitOfWork(self.engine, read_only=True) as uow:
            uow.concepts.get(tenant_id, concept_id)
            return uow.concept_versions.list(
                tenant_id, concept_id, page_size=page_size, page_token=page_token
            )

    def read_artifact(self, version: ConceptVersion) -> bytes:
        """The version's artifact bytes, verified against the recorded sha256."""
        return self.blobs.get(version.artifact_key, expected_sha256=version.artifact_sha256)

    def _consent(
        self, uow: UnitOfWork, tenant_id: uuid.UUID, consent_id: uuid.UUID, subject_id: uuid.UUID
    ) -> None:
        require_active_consent(
            uow,
            tenant_id,
            consent_id=consent_id,
            subject_id=subject_id,
            purpose=self.purpose,
            now=self.clock(),
        )

    def _writable(
        self, tenant_id: uuid.UUID, concept_id: uuid.UUID, *, uow: UnitOfWork | None = None
    ) -> Concept:
        """The concept if it may get a new version now: writable status, consent active."""
        if uow is None:
            with UnitOfWork(self.engine, read_only=True) as read_uow:
                return self._writable(tenant_id, concept_id, uow=read_uow)
        concept = uow.concepts.get(tenant_id, concept_id)
        # Consent first, then the concept: the same lock order as revocation, so no deadlock.
        self._consent(uow, tenant_id, concept.consent_id, concept.subject_id)
        concept = uow.concepts.get(tenant_id, concept_id, for_update=True)
        if concept.status not in _WRITABLE:
            raise FailedPreconditionError(f"concept {concept_id} is {concept.status}")
        return concept
