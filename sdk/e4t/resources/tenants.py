"""`client.tenants`: create, read, list and delete tenants (PLATFORM_ADMIN keys)."""

from __future__ import annotations

from e4t._calls import Page, Unary, new_request_id, rpc
from e4t._names import Names
from e4t.pagination import AsyncPager, SyncPager
from e4t.resources._base import AsyncResource, SyncResource
from e4t.types import Tenant
from e4t.v1 import tenant_pb2, tenant_service_pb2

_SERVICE = "TenantService"


def _create(tenant_id: str, display_name: str, request_id: str | None) -> Unary[Tenant]:
    key = request_id or new_request_id()
    request = tenant_service_pb2.CreateTenantRequest(
        tenant=tenant_pb2.Tenant(display_name=display_name), tenant_id=tenant_id, request_id=key
    )
    return Unary(rpc(tenant_service_pb2, _SERVICE, "CreateTenant"), request, Tenant.from_proto, key)


def _get(names: Names, tenant: str) -> Unary[Tenant]:
    request = tenant_service_pb2.GetTenantRequest(name=names.tenant(tenant))
    return Unary(rpc(tenant_service_pb2, _SERVICE, "GetTenant"), request, Tenant.from_proto)


def _list_page(show_deleted: bool, page_size: int, token: str) -> Unary[Page[Tenant]]:
    request = tenant_service_pb2.ListTenantsRequest(
        page_size=page_size, page_token=token, show_deleted=show_deleted
    )
    return Unary(
        rpc(tenant_service_pb2, _SERVICE, "ListTenants"),
        request,
        lambda r: Page([Tenant.from_proto(t) for t in r.tenants], r.next_page_token),
    )


def _delete(names: Names, tenant: str, force: bool, request_id: str | None) -> Unary[Tenant]:
    key = request_id or new_request_id()
    request = tenant_service_pb2.DeleteTenantRequest(
        name=names.tenant(tenant), force=force, request_id=key
    )
    return Unary(rpc(tenant_service_pb2, _SERVICE, "DeleteTenant"), request, Tenant.from_proto, key)


class Tenants(SyncResource):
    """Tenants: each business using e4t. Needs a PLATFORM_ADMIN key (a tenant key may `get`
    its own tenant)."""

    def create(
        self, *, tenant_id: str, display_name: str = "", request_id: str | None = None
    ) -> Tenant:
        """Creates a tenant.

        Args:
            tenant_id: 1-63 characters of `[a-z0-9-]`, starting with a letter.
            display_name: A human-readable name.
            request_id: Idempotency key; generated when omitted.
        """
        return self._transport.unary(_create(tenant_id, display_name, request_id))

    def get(self, tenant: str | None = None) -> Tenant:
        """Gets a tenant by ID or name (default: the client's tenant)."""
        return self._transport.unary(_get(self._names, tenant or ""))

    def list(self, *, show_deleted: bool = False, page_size: int = 0) -> SyncPager[Tenant]:
        """Lists tenants in ID order, fetching pages as you iterate.

        Args:
            show_deleted: Also list deleted tenants.
            page_size: Items per page; 0 is the server default (50).
        """
        return SyncPager(self._transport, lambda token: _list_page(show_deleted, page_size, token))

    def delete(self, tenant: str, *, force: bool = False, request_id: str | None = None) -> Tenant:
        """Soft-deletes a tenant and returns it in state DELETED.

        Its API keys are revoked (they fail with `UnauthenticatedError` from then on), its
        running operations are cancelled and its subjects, consents, concepts and their blobs
        are erased. The tenant record, its audit log and its domains are kept; the tenant ID
        stays taken.

        Args:
            tenant: The tenant ID or name.
            force: Delete even if it still has domains or concepts.
            request_id: Idempotency key; generated when omitted.

        Raises:
            FailedPreconditionError: It still has domains or concepts and `force` is false
                (reason `TENANT_NOT_EMPTY`), or it is already deleted (`TENANT_DELETED`).
            NotFoundError: No such tenant.
        """
        return self._transport.unary(_delete(self._names, tenant, force, request_id))


class AsyncTenants(AsyncResource):
    """The async form of `Tenants`."""

    async def create(
        self, *, tenant_id: str, display_name: str = "", request_id: str | None = None
    ) -> Tenant:
        """Creates a tenant. See `Tenants.create`."""
        return await self._transport.unary(_create(tenant_id, display_name, request_id))

    async def get(self, tenant: str | None = None) -> Tenant:
        """Gets a tenant. See `Tenants.get`."""
        return await self._transport.unary(_get(self._names, tenant or ""))

    def list(self, *, show_deleted: bool = False, page_size: int = 0) -> AsyncPager[Tenant]:
        """Lists tenants; iterate with `async for`. See `Tenants.list`."""
        return AsyncPager(self._transport, lambda token: _list_page(show_deleted, page_size, token))

    async def delete(
        self, tenant: str, *, force: bool = False, request_id: str | None = None
    ) -> Tenant:
        """Soft-deletes a tenant. See `Tenants.delete`."""
        return await self._transport.unary(_delete(self._names, tenant, force, request_id))
