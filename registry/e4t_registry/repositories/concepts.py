"""Concepts and concept versions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import col

from e4t_registry.models import Concept, ConceptStatus, ConceptVersion, utcnow
from e4t_registry.paging import Page
from e4t_registry.repositories.base import TenantScopedRepository


class ConceptRepository(TenantScopedRepository[Concept]):
    model = Concept
    resource = "concept"

    def list_for_subject(
        self, tenant_id: uuid.UUID, subject_id: uuid.UUID, *, consent_id: uuid.UUID | None = None
    ) -> list[Concept]:
        statement = self._select(tenant_id).where(Concept.subject_id == subject_id)
        if consent_id is not None:
            statement = statement.where(Concept.consent_id == consent_id)
        return list(self.session.exec(statement.order_by(col(Concept.created_at))))

    def count_live(self, tenant_id: uuid.UUID) -> int:
        """How many concepts of the tenant are not DELETED."""
        statement = sa.select(sa.func.count()).where(
            col(Concept.tenant_id) == tenant_id, col(Concept.status) != ConceptStatus.DELETED
        )
        return int(self.session.execute(statement).scalar_one())

    def set_status(self, concept: Concept, status: ConceptStatus, reason: str = "") -> None:
        concept.status = status
        concept.status_reason = reason
        concept.updated_at = utcnow()
        self.session.add(concept)
        self.session.flush()

    def delete_rows(self, rows: Sequence[Concept]) -> None:
        for row in rows:
            self.session.delete(row)
        self.session.flush()

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
        statement = self._select(tenant_id)
        if domain_id is not None:
            statement = statement.where(Concept.domain_id == domain_id)
        if subject_id is not None:
            statement = statement.where(Concept.subject_id == subject_id)
        if status is not None:
            statement = statement.where(Concept.status == status)
        return self._page(
            tenant_id,
            statement,
            filters=f"domain={domain_id};subject={subject_id};status={status}",
            page_size=page_size,
            page_token=page_token,
        )


class ConceptVersionRepository(TenantScopedRepository[ConceptVersion]):
    model = ConceptVersion
    resource = "concept version"

    def latest(self, tenant_id: uuid.UUID, concept_id: uuid.UUID) -> ConceptVersion | None:
        statement = (
            self._select(tenant_id)
            .where(ConceptVersion.concept_id == concept_id)
            .order_by(col(ConceptVersion.version).desc())
            .limit(1)
        )
        return self.session.exec(statement).first()

    def next_number(self, tenant_id: uuid.UUID, concept_id: uuid.UUID) -> int:
        statement = sa.select(sa.func.max(ConceptVersion.version)).where(
            col(ConceptVersion.tenant_id) == tenant_id,
            col(ConceptVersion.concept_id) == concept_id,
        )
        return int(self.session.execute(statement).scalar_one() or 0) + 1

    def list_for_concepts(
        self, tenant_id: uuid.UUID, concept_ids: Sequence[uuid.UUID]
    ) -> list[ConceptVersion]:
        if not concept_ids:
            return []
        statement = self._select(tenant_id).where(col(ConceptVersion.concept_id).in_(concept_ids))
        return list(self.session.exec(statement))

    def delete_rows(self, rows: Sequence[ConceptVersion]) -> None:
        for row in rows:
            self.session.delete(row)
        self.session.flush()

    def list(
        self,
        tenant_id: uuid.UUID,
        concept_id: uuid.UUID,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Page[ConceptVersion]:
        statement = self._select(tenant_id).where(ConceptVersion.concept_id == concept_id)
        return self._page(
            tenant_id,
            statement,
            filters=f"concept={concept_id}",
            page_size=page_size,
            page_token=page_token,
        )
