"""Tenant scoping: a name's `tenants/{tenant}` segment must be the caller's own tenant.

A tenant key naming another tenant gets NOT_FOUND, exactly as if the resource did not exist.
Platform admins may name any tenant, but only in the methods whose scope rule admits them.
"""

from __future__ import annotations

import uuid

from e4t_registry.errors import NotFoundError
from e4t_registry.models import Domain, Subject
from e4t_registry.registry import Registry
from e4t_registry.uow import UnitOfWork
from e4t_server.api.context import current_principal
from e4t_server.api.errors import not_found


class TenantScope:
    """Resolves the names in a request to registry ids within the caller's tenant."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._names: dict[uuid.UUID, str] = {}  # tenant names never change

    def name_of(self, tenant_id: uuid.UUID) -> str:
        name = self._names.get(tenant_id)
        if name is None:
            name = self._names[tenant_id] = self.registry.tenants.get(tenant_id).name
        return name

    def caller_tenant(self) -> tuple[uuid.UUID, str]:
        """The (id, name) of the caller's own tenant; platform keys have none (NOT_FOUND)."""
        tenant_id = current_principal().tenant_id
        if tenant_id is None:
            raise not_found("tenant of a platform key")
        return tenant_id, self.name_of(tenant_id)

    def tenant_id(self, tenant: str, resource: str) -> uuid.UUID:
        """The id of tenant `tenant` named in `resource`, if the caller may act in it."""
        principal = current_principal()
        if principal.tenant_id is None:
            try:
                return self.registry.tenants.get_by_name(tenant).id
            except NotFoundError:
                raise not_found(resource) from None
        if self.name_of(principal.tenant_id) != tenant:
            raise not_found(resource)
        return principal.tenant_id

    def domain(self, tenant_id: uuid.UUID, domain: str, resource: str) -> Domain:
        try:
            with UnitOfWork(self.registry.engine) as uow:
                return uow.domains.get_by_name(tenant_id, domain)
        except NotFoundError:
            raise not_found(resource) from None

    def subject(self, tenant_id: uuid.UUID, external_id: str, resource: str) -> Subject:
        try:
            with UnitOfWork(self.registry.engine) as uow:
                return uow.subjects.get_by_external_id(tenant_id, external_id)
        except NotFoundError:
            raise not_found(resource) from None
