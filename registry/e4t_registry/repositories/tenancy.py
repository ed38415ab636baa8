"""Tenants (platform level) and API keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from e4t_registry.errors import NotFoundError, TenantDeletedError
from e4t_registry.models import ApiKey, Tenant, TenantState
from e4t_registry.paging import Page, paginate
from e4t_registry.repositories.base import insert_or_raise


class TenantRepository:
    """Tenants are the one table without a tenant filter: only platform admins reach it."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, tenant: Tenant) -> Tenant:
        insert_or_raise(self.session, tenant, f"tenant {tenant.name!r} already exists")
        return tenant

    def get(self, tenant_id: uuid.UUID, *, for_update: bool = False) -> Tenant:
        """The tenant (any state); `for_update` locks its row for this transaction."""
        statement = select(Tenant).where(Tenant.id == tenant_id)
        if for_update:
            statement = statement.with_for_update().execution_options(populate_existing=True)
        tenant = self.session.exec(statement).first()
        if tenant is None:
            raise NotFoundError(f"tenant {tenant_id} not found")
        return tenant

    def get_active(self, tenant_id: uuid.UUID, *, for_update: bool = False) -> Tenant:
        """The tenant, or TenantDeletedError once it was deleted."""
        tenant = self.get(tenant_id, for_update=for_update)
        if tenant.state == TenantState.DELETED:
            raise TenantDeletedError(f"tenant {tenant.name!r} was deleted")
        return tenant

    def get_by_name(self, name: str) -> Tenant:
        tenant = self.session.exec(select(Tenant).where(Tenant.name == name)).first()
        if tenant is None:
            raise NotFoundError(f"tenant {name!r} not found")
        return tenant

    def list(
        self,
        *,
        show_deleted: bool = False,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Page[Tenant]:
        statement = select(Tenant)
        if not show_deleted:
            statement = statement.where(Tenant.state == TenantState.ACTIVE)
        return paginate(
            self.session,
            statement,
            Tenant,
            scope=f"tenants:show_deleted={show_deleted}",
            page_size=page_size,
            page_token=page_token,
        )


class ApiKeyRepository:
    """API keys. `tenant_id=None` addresses the platform-admin keys, which have no tenant."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _tenant_filter(self, tenant_id: uuid.UUID | None) -> Any:
        column = col(ApiKey.tenant_id)
        return column.is_(None) if tenant_id is None else column == tenant_id

    def add(self, key: ApiKey) -> ApiKey:
        insert_or_raise(self.session, key, "api key lookup id clash")
        return key

    def find_by_lookup_id(self, lookup_id: str) -> ApiKey | None:
        """The key row for a presented secret's lookup id (authentication only)."""
        return self.session.exec(select(ApiKey).where(ApiKey.lookup_id == lookup_id)).first()

    def get(self, tenant_id: uuid.UUID | None, key_id: uuid.UUID) -> ApiKey:
        statement = select(ApiKey).where(self._tenant_filter(tenant_id), ApiKey.id == key_id)
        key = self.session.exec(statement).first()
        if key is None:
            raise NotFoundError(f"api key {key_id} not found")
        return key

    def count_active_platform_admin(self) -> int:
        keys = self.session.exec(
            select(ApiKey).where(col(ApiKey.tenant_id).is_(None), col(ApiKey.revoked_at).is_(None))
        )
        return sum(1 for _ in keys)

    def revoke_all(self, tenant_id: uuid.UUID, now: datetime) -> list[uuid.UUID]:
        """Revoke every active key of the tenant; returns the ids of the keys revoked now."""
        statement = select(ApiKey).where(
            ApiKey.tenant_id == tenant_id, col(ApiKey.revoked_at).is_(None)
        )
        keys = list(self.session.exec(statement.with_for_update()))
        for key in keys:
            key.revoked_at = now
            self.session.add(key)
        self.session.flush()
        return [key.id for key in keys]

    def touch(self, key_id: uuid.UUID, now: datetime) -> None:
        """Record a use of the key (a single UPDATE, no read)."""
        self.session.execute(
            sa.update(ApiKey).where(col(ApiKey.id) == key_id).values(last_used_at=now)
        )

    def list(
        self,
        tenant_id: uuid.UUID | None,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Page[ApiKey]:
        return paginate(
            self.session,
            select(ApiKey).where(self._tenant_filter(tenant_id)),
            ApiKey,
            scope=f"api-keys:{tenant_id}",
            page_size=page_size,
            page_token=page_token,
        )
