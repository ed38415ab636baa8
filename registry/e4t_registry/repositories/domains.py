"""Domains, domain model versions, aliases and alias history."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import col, select

from e4t_registry.errors import NotFoundError
from e4t_registry.models import Domain, DomainAlias, DomainAliasEvent, DomainModelVersion
from e4t_registry.paging import Page
from e4t_registry.repositories.base import TenantScopedRepository, insert_or_raise


class DomainRepository(TenantScopedRepository[Domain]):
    model = Domain
    resource = "domain"

    def get_by_name(self, tenant_id: uuid.UUID, name: str) -> Domain:
        statement = self._select(tenant_id).where(Domain.name == name)
        domain = self.session.exec(statement).first()
        if domain is None:
            raise NotFoundError(f"domain {name!r} not found")
        return domain

    def list_all(self, tenant_id: uuid.UUID) -> list[Domain]:
        """Every domain of the tenant, in name order."""
        return list(self.session.exec(self._select(tenant_id).order_by(col(Domain.name))))

    def list(
        self, tenant_id: uuid.UUID, *, page_size: int | None = None, page_token: str | None = None
    ) -> Page[Domain]:
        return self._page(
            tenant_id,
            self._select(tenant_id),
            filters="",
            page_size=page_size,
            page_token=page_token,
        )


class DomainModelVersionRepository(TenantScopedRepository[DomainModelVersion]):
    model = DomainModelVersion
    resource = "domain model version"

    def get_by_number(
        self, tenant_id: uuid.UUID, domain_id: uuid.UUID, version: int
    ) -> DomainModelVersion:
        statement = self._select(tenant_id).where(
            DomainModelVersion.domain_id == domain_id, DomainModelVersion.version == version
        )
        row = self.session.exec(statement).first()
        if row is None:
            raise NotFoundError(f"domain model version {version} not found")
        return row

    def latest_number(self, tenant_id: uuid.UUID, domain_id: uuid.UUID) -> int:
        """The highest version number in the domain, 0 if none."""
        statement = sa.select(sa.func.max(DomainModelVersion.version)).where(
            col(DomainModelVersion.tenant_id) == tenant_id,
            col(DomainModelVersion.domain_id) == domain_id,
        )
        return int(self.session.execute(statement).scalar_one() or 0)

    def list(
        self,
        tenant_id: uuid.UUID,
        domain_id: uuid.UUID,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Page[DomainModelVersion]:
        statement = self._select(tenant_id).where(DomainModelVersion.domain_id == domain_id)
        return self._page(
            tenant_id,
            statement,
            filters=f"domain={domain_id}",
            page_size=page_size,
            page_token=page_token,
        )


class DomainAliasRepository(TenantScopedRepository[DomainAlias]):
    model = DomainAlias
    resource = "domain alias"

    def find_by_name(
        self, tenant_id: uuid.UUID, domain_id: uuid.UUID, name: str, *, for_update: bool = False
    ) -> DomainAlias | None:
        statement = self._select(tenant_id).where(
            DomainAlias.domain_id == domain_id, DomainAlias.name == name
        )
        if for_update:
            statement = statement.with_for_update()
        return self.session.exec(statement).first()

    def list_for_domain(self, tenant_id: uuid.UUID, domain_id: uuid.UUID) -> list[DomainAlias]:
        statement = (
            self._select(tenant_id)
            .where(DomainAlias.domain_id == domain_id)
            .order_by(col(DomainAlias.name))
        )
        return list(self.session.exec(statement))

    def save(self, alias: DomainAlias) -> DomainAlias:
        self.session.add(alias)
        self.session.flush()
        return alias

    def remove(self, alias: DomainAlias) -> None:
        self.session.delete(alias)
        self.session.flush()

    def record(self, tenant_id: uuid.UUID, event: DomainAliasEvent) -> None:
        if event.tenant_id != tenant_id:
            raise NotFoundError("domain not found")
        insert_or_raise(self.session, event, "alias event clash")

    def history(
        self, tenant_id: uuid.UUID, domain_id: uuid.UUID, alias: str | None = None
    ) -> list[DomainAliasEvent]:
        """Every alias move of the domain (optionally of one alias), oldest first."""
        statement = select(DomainAliasEvent).where(
            DomainAliasEvent.tenant_id == tenant_id, DomainAliasEvent.domain_id == domain_id
        )
        if alias is not None:
            statement = statement.where(DomainAliasEvent.alias == alias)
        statement = statement.order_by(col(DomainAliasEvent.created_at), col(DomainAliasEvent.id))
        return list(self.session.exec(statement))
