"""TenantService and ApiKeyService: tenants and the keys that act for them."""

from __future__ import annotations

import asyncio
import logging
import uuid

import grpc

from e4t.v1 import (
    api_key_pb2,
    api_key_service_pb2,
    api_key_service_pb2_grpc,
    tenant_pb2,
    tenant_service_pb2,
    tenant_service_pb2_grpc,
)
from e4t_registry.errors import NotFoundError
from e4t_registry.models import Scope
from e4t_registry.registry import Registry
from e4t_registry.uow import UnitOfWork
from e4t_server.api import convert, limits, names
from e4t_server.api.concept_jobs import ConceptJobs
from e4t_server.api.context import current_principal
from e4t_server.api.errors import invalid_field, not_found
from e4t_server.api.scoping import TenantScope
from e4t_server.serve.hosting import ModelHosting

logger = logging.getLogger("e4t.tenants")


class TenantServicer(tenant_service_pb2_grpc.TenantServiceServicer):
    def __init__(
        self, registry: Registry, scope: TenantScope, jobs: ConceptJobs, hosting: ModelHosting
    ) -> None:
        self.registry = registry
        self.scope = scope
        self.jobs = jobs
        self.hosting = hosting

    async def CreateTenant(
        self, request: tenant_service_pb2.CreateTenantRequest, context: grpc.aio.ServicerContext
    ) -> tenant_pb2.Tenant:
        limits.required(request.tenant_id, "tenant_id")
        names.parse("tenant", names.tenant_name(request.tenant_id), "tenant_id")
        limits.max_length(request.tenant.display_name, limits.DISPLAY_NAME_CHARS, "display_name")
        row = await asyncio.to_thread(
            self.registry.tenants.create,
            name=request.tenant_id,
            display_name=request.tenant.display_name,
            actor=current_principal().actor,
        )
        return convert.tenant(row)

    async def GetTenant(
        self, request: tenant_service_pb2.GetTenantRequest, context: grpc.aio.ServicerContext
    ) -> tenant_pb2.Tenant:
        parts = names.parse("tenant", request.name, "name")
        tenant_id = await asyncio.to_thread(self.scope.tenant_id, parts["tenant"], request.name)
        return convert.tenant(await asyncio.to_thread(self.registry.tenants.get, tenant_id))

    async def ListTenants(
        self, request: tenant_service_pb2.ListTenantsRequest, context: grpc.aio.ServicerContext
    ) -> tenant_service_pb2.ListTenantsResponse:
        limits.check_page_size(request.page_size)
        page = await asyncio.to_thread(
            self.registry.tenants.list,
            show_deleted=request.show_deleted,
            page_size=request.page_size,
            page_token=request.page_token or None,
        )
        return tenant_service_pb2.ListTenantsResponse(
            tenants=[convert.tenant(row) for row in page.items],
            next_page_token=page.next_page_token or "",
        )

    async def DeleteTenant(
        self, request: tenant_service_pb2.DeleteTenantRequest, context: grpc.aio.ServicerContext
    ) -> tenant_pb2.Tenant:
        parts = names.parse("tenant", request.name, "name")
        tenant_id = await asyncio.to_thread(self.scope.tenant_id, parts["tenant"], request.name)
        row = await asyncio.to_thread(
            self.registry.tenants.delete,
            tenant_id,
            force=request.force,
            actor=current_principal().actor,
        )
        # Committed: stop the tenant's personalization jobs and its models on Ray Serve.
        self.jobs.cancel_tenant(tenant_id)
        await retire_tenant_apps(self.registry, self.hosting, tenant_id, parts["tenant"])
        return convert.tenant(row)


async def retire_tenant_apps(
    registry: Registry, hosting: ModelHosting, tenant_id: uuid.UUID, tenant: str
) -> list[str]:
    """Delete the Serve applications of every domain of a deleted tenant (best effort).

    The tenant's keys are already revoked, so nothing can reach them any more; a failure here
    is logged and leaves an idle application behind, never fails the deletion.
    """
    with UnitOfWork(registry.engine, read_only=True) as uow:
        domains = [domain.name for domain in uow.domains.list_all(tenant_id)]
    retired: list[str] = []
    for domain in domains:
        try:
            retired += await hosting.retire(tenant, domain, set())
        except Exception:
            logger.exception("could not retire the models of tenants/%s/domains/%s", tenant, domain)
    return retired


class ApiKeyServicer(api_key_service_pb2_grpc.ApiKeyServiceServicer):
    def __init__(self, registry: Registry, scope: TenantScope) -> None:
        self.registry = registry
        self.scope = scope

    def _owner(self, parent: str) -> tuple[uuid.UUID | None, str | None]:
        """(tenant id, tenant name) for a `tenants/{t}` parent; (None, None) for platform keys."""
        if not parent:
            if current_principal().tenant_id is not None:
                raise not_found("apiKeys")
            return None, None
        tenant = names.parse("tenant", parent, "parent")["tenant"]
        return self.scope.tenant_id(tenant, parent), tenant

    def _key_owner(self, name: str) -> tuple[uuid.UUID | None, str | None, uuid.UUID]:
        if name.startswith("apiKeys/"):
            key = names.parse("platform_api_key", name, "name")["key"]
            owner, tenant = self._owner("")
        else:
            parts = names.parse("tenant_api_key", name, "name")
            key, tenant = parts["key"], parts["tenant"]
            owner = self.scope.tenant_id(tenant, name)
        return owner, tenant, names.as_uuid(key)

    async def CreateApiKey(
        self, request: api_key_service_pb2.CreateApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> api_key_service_pb2.CreateApiKeyResponse:
        return await asyncio.to_thread(self._create, request)

    def _create(
        self, request: api_key_service_pb2.CreateApiKeyRequest
    ) -> api_key_service_pb2.CreateApiKeyResponse:
        owner, tenant = self._owner(request.parent)
        scopes = [convert.PROTO_TO_SCOPE.get(scope) for scope in request.api_key.scopes]
        if not scopes or None in scopes:
            raise invalid_field("api_key.scopes", "name at least one known scope")
        if owner is not None and Scope.PLATFORM_ADMIN in scopes:
            raise invalid_field("api_key.scopes", "tenant keys cannot be platform admins")
        limits.max_length(request.api_key.display_name, limits.DISPLAY_NAME_CHARS, "display_name")
        created = self.registry.keys.create(
            tenant_id=owner,
            scopes=[scope.value for scope in scopes if scope is not None],
            name=request.api_key.display_name,
            actor=current_principal().actor,
        )
        return api_key_service_pb2.CreateApiKeyResponse(
            api_key=convert.api_key(created.key, tenant), secret=created.secret
        )

    async def GetApiKey(
        self, request: api_key_service_pb2.GetApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> api_key_pb2.ApiKey:
        return await asyncio.to_thread(self._get, request.name)

    def _get(self, name: str) -> api_key_pb2.ApiKey:
        owner, tenant, key_id = self._key_owner(name)
        try:
            with UnitOfWork(self.registry.engine) as uow:
                row = uow.api_keys.get(owner, key_id)
        except NotFoundError:
            raise not_found(name) from None
        return convert.api_key(row, tenant)

    async def ListApiKeys(
        self, request: api_key_service_pb2.ListApiKeysRequest, context: grpc.aio.ServicerContext
    ) -> api_key_service_pb2.ListApiKeysResponse:
        limits.check_page_size(request.page_size)
        return await asyncio.to_thread(self._list, request)

    def _list(
        self, request: api_key_service_pb2.ListApiKeysRequest
    ) -> api_key_service_pb2.ListApiKeysResponse:
        owner, tenant = self._owner(request.parent)
        page = self.registry.keys.list(
            tenant_id=owner, page_size=request.page_size, page_token=request.page_token or None
        )
        return api_key_service_pb2.ListApiKeysResponse(
            api_keys=[
                convert.api_key(row, tenant)
                for row in page.items
                if request.show_revoked or row.revoked_at is None
            ],
            next_page_token=page.next_page_token or "",
        )

    async def RevokeApiKey(
        self, request: api_key_service_pb2.RevokeApiKeyRequest, context: grpc.aio.ServicerContext
    ) -> api_key_pb2.ApiKey:
        return await asyncio.to_thread(self._revoke, request.name)

    def _revoke(self, name: str) -> api_key_pb2.ApiKey:
        owner, tenant, key_id = self._key_owner(name)
        try:
            row = self.registry.keys.revoke(
                tenant_id=owner, key_id=key_id, actor=current_principal().actor
            )
        except NotFoundError:
            raise not_found(name) from None
        return convert.api_key(row, tenant)
