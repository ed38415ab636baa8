"""Subjects, consent records, source images and erasure records."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import col, select

from e4t_registry.errors import NotFoundError
from e4t_registry.models import ConsentRecord, ErasureRecord, SourceImage, Subject
from e4t_registry.paging import Page
from e4t_registry.repositories.base import TenantScopedRepository


class SubjectRepository(TenantScopedRepository[Subject]):
    model = Subject
    resource = "subject"

    def find_by_external_id(self, tenant_id: uuid.UUID, external_id: str) -> Subject | None:
        statement = self._select(tenant_id).where(Subject.external_id == external_id)
        return self.session.exec(statement).first()

    def get_by_external_id(self, tenant_id: uuid.UUID, external_id: str) -> Subject:
        subject = self.find_by_external_id(tenant_id, external_id)
        if subject is None:
            raise NotFoundError(f"subject {external_id!r} not found")
        return subject

    def ids(self, tenant_id: uuid.UUID) -> list[uuid.UUID]:
        """Every subject id of the tenant, oldest first (for erasing the whole tenant)."""
        statement = self._select(tenant_id).order_by(col(Subject.created_at), col(Subject.id))
        return [subject.id for subject in self.session.exec(statement)]

    def list(
        self, tenant_id: uuid.UUID, *, page_size: int | None = None, page_token: str | None = None
    ) -> Page[Subject]:
        return self._page(
            tenant_id,
            self._select(tenant_id),
            filters="",
            page_size=page_size,
            page_token=page_token,
        )


class ConsentRepository(TenantScopedRepository[ConsentRecord]):
    model = ConsentRecord
    resource = "consent"

    def list_for_subject(self, tenant_id: uuid.UUID, subject_id: uuid.UUID) -> list[ConsentRecord]:
        statement = (
            self._select(tenant_id)
            .where(ConsentRecord.subject_id == subject_id)
            .order_by(col(ConsentRecord.granted_at), col(ConsentRecord.id))
        )
        return list(self.session.exec(statement))

    def due_to_lapse(self, now: datetime, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """(tenant id, consent id) of expired consents not yet processed, for every tenant.

        The one cross-tenant query here: the expiry job works for the whole platform.
        """
        statement = (
            select(ConsentRecord.tenant_id, ConsentRecord.id)
            .where(
                col(ConsentRecord.expires_at) <= now,
                col(ConsentRecord.revoked_at).is_(None),
                col(ConsentRecord.lapsed_at).is_(None),
            )
            .order_by(col(ConsentRecord.expires_at))
            .limit(limit)
        )
        return [(tenant_id, consent_id) for tenant_id, consent_id in self.session.exec(statement)]

    def delete_for_subject(self, tenant_id: uuid.UUID, subject_id: uuid.UUID) -> int:
        rows = self.list_for_subject(tenant_id, subject_id)
        for row in rows:
            self.session.delete(row)
        self.session.flush()
        return len(rows)

    def list(
        self,
        tenant_id: uuid.UUID,
        *,
        subject_id: uuid.UUID | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Page[ConsentRecord]:
        statement = self._select(tenant_id)
        if subject_id is not None:
            statement = statement.where(ConsentRecord.subject_id == subject_id)
        return self._page(
            tenant_id,
            statement,
            filters=f"subject={subject_id}",
            page_size=page_size,
            page_token=page_token,
        )


class SourceImageRepository(TenantScopedRepository[SourceImage]):
    model = SourceImage
    resource = "source image"

    def list_for_subject(
        self, tenant_id: uuid.UUID, subject_id: uuid.UUID, *, consent_id: uuid.UUID | None = None
    ) -> list[SourceImage]:
        statement = self._select(tenant_id).where(SourceImage.subject_id == subject_id)
        if consent_id is not None:
            statement = statement.where(SourceImage.consent_id == consent_id)
        return list(self.session.exec(statement.order_by(col(SourceImage.created_at))))

    def list_for_concept(self, tenant_id: uuid.UUID, concept_id: uuid.UUID) -> list[SourceImage]:
        """The concept's source images, newest first."""
        statement = self._select(tenant_id).where(SourceImage.concept_id == concept_id)
        return list(
            self.session.exec(
                statement.order_by(col(SourceImage.created_at).desc(), col(SourceImage.id).desc())
            )
        )

    def delete_rows(self, rows: list[SourceImage]) -> None:
        for row in rows:
            self.session.delete(row)
        self.session.flush()


class ErasureRepository(TenantScopedRepository[ErasureRecord]):
    model = ErasureRecord
    resource = "erasure record"

    def list(
        self, tenant_id: uuid.UUID, *, page_size: int | None = None, page_token: str | None = None
    ) -> Page[ErasureRecord]:
        return self._page(
            tenant_id,
            self._select(tenant_id),
            filters="",
            page_size=page_size,
            page_token=page_token,
        )
