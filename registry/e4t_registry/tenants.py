"""Creating and reading tenants (platform-admin operations)."""

from __future__ import annotations

import re
import uuid

from sqlalchemy.engine import Engine

from e4t_registry.errors import InvalidArgumentError
from e4t_registry.models import Tenant
from e4t_registry.paging import Page
from e4t_registry.uow import UnitOfWork

_TENANT_NAME = re.compile(r"[a-z][a-z0-9-]{1,62}")


class TenantService:
    """Tenant lifecycle; every change is audited."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, *, name: str, display_name: str = "", actor: str) -> Tenant:
        """Create a tenant named by a lowercase slug (AlreadyExistsError if taken)."""
        if not _TENANT_NAME.fullmatch(name):
            raise InvalidArgumentError(
                f"tenant name {name!r} must be 2-63 lowercase letters, digits or '-'"
            )
        with UnitOfWork(self.engine) as uow:
            tenant = uow.tenants.add(Tenant(name=name, display_name=display_name))
            uow.audit.append(
                actor=actor,
                action="tenant.create",
                tenant_id=tenant.id,
                resource=f"tenants/{tenant.id}",
                details={"name": name},
            )
            uow.commit()
        return tenant

    def get(self, tenant_id: uuid.UUID) -> Tenant:
        with UnitOfWork(self.engine, read_only=True) as uow:
            return uow.tenants.get(tenant_id)

    def get_by_name(self, name: str) -> Tenant:
        with UnitOfWork(self.engine, read_only=True) as uow:
            return uow.tenants.get_by_name(name)

    def list(self, *, page_size: int | None = None, page_token: str | None = None) -> Page[Tenant]:
        with UnitOfWork(self.engine, read_only=True) as uow:
            return uow.tenants.list(page_size=page_size, page_token=page_token)
