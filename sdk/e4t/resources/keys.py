"""`client.keys`: issue, read, list and revoke API keys."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from e4t._calls import Page, PageCall, Unary, new_request_id, rpc
from e4t._names import Names
from e4t.pagination import AsyncPager, SyncPager
from e4t.resources._base import AsyncResource, SyncResource
from e4t.types import ApiKey, CreatedApiKey, Scope
from e4t.v1 import api_key_pb2, api_key_service_pb2

_SERVICE = "ApiKeyService"
_COLLECTION = "apiKeys"


def _parent(names: Names, tenant: str | None, platform: bool) -> str:
    """Platform keys have no parent; tenant keys live under their tenant."""
    return "" if platform else names.tenant(tenant)


def _create(
    names: Names,
    scopes: Iterable[Scope | str],
    display_name: str,
    expire_time: datetime | None,
    tenant: str | None,
    request_id: str | None,
) -> Unary[CreatedApiKey]:
    wanted = [Scope(str(scope).upper().replace("-", "_")) for scope in scopes]
    key = request_id or new_request_id()
    proto_key = api_key_pb2.ApiKey(
        display_name=display_name,
        scopes=[api_key_pb2.ApiKey.Scope.Value(scope.value) for scope in wanted],
    )
    if expire_time is not None:
        proto_key.expire_time.FromDatetime(expire_time)
    request = api_key_service_pb2.CreateApiKeyRequest(
        parent=_parent(names, tenant, platform=Scope.PLATFORM_ADMIN in wanted),
        api_key=proto_key,
        request_id=key,
    )
    return Unary(
        rpc(api_key_service_pb2, _SERVICE, "CreateApiKey"), request, CreatedApiKey.from_proto, key
    )


def _name(names: Names, api_key: str, tenant: str | None) -> str:
    if api_key.startswith(f"{_COLLECTION}/"):
        return api_key
    return names.under_tenant(api_key, _COLLECTION, tenant)


def _get(names: Names, api_key: str, tenant: str | None) -> Unary[ApiKey]:
    request = api_key_service_pb2.GetApiKeyRequest(name=_name(names, api_key, tenant))
    return Unary(rpc(api_key_service_pb2, _SERVICE, "GetApiKey"), request, ApiKey.from_proto)


def _list_page(
    names: Names, tenant: str | None, platform: bool, show_revoked: bool, page_size: int
) -> PageCall[ApiKey]:
    parent = _parent(names, tenant, platform)

    def page(token: str) -> Unary[Page[ApiKey]]:
        request = api_key_service_pb2.ListApiKeysRequest(
            parent=parent, page_size=page_size, page_token=token, show_revoked=show_revoked
        )
        return Unary(
            rpc(api_key_service_pb2, _SERVICE, "ListApiKeys"),
            request,
            lambda r: Page([ApiKey.from_proto(k) for k in r.api_keys], r.next_page_token),
        )

    return page


def _revoke(
    names: Names, api_key: str, tenant: str | None, request_id: str | None
) -> Unary[ApiKey]:
    key = request_id or new_request_id()
    request = api_key_service_pb2.RevokeApiKeyRequest(
        name=_name(names, api_key, tenant), request_id=key
    )
    return Unary(
        rpc(api_key_service_pb2, _SERVICE, "RevokeApiKey"), request, ApiKey.from_proto, key
    )


class Keys(SyncResource):
    """API keys. Tenant keys need a TENANT_ADMIN key of that tenant (or PLATFORM_ADMIN);
    platform keys need PLATFORM_ADMIN."""

    def create(
        self,
        *,
        scopes: Iterable[Scope | str],
        display_name: str = "",
        expire_time: datetime | None = None,
        tenant: str | None = None,
        request_id: str | None = None,
    ) -> CreatedApiKey:
        """Creates a key and returns it with its secret, which is never shown again.

        Args:
            scopes: `Scope`s or their names (`"app"`, `"tenant-admin"`, ...). A key with
                `PLATFORM_ADMIN` is a platform key (no tenant, no other scope).
            display_name: A label for the key.
            expire_time: When the key stops working (timezone-aware); None: never.
            tenant: The tenant of a tenant key; default: the client's tenant.
            request_id: Idempotency key; a retried call returns the same secret.
        """
        call = _create(self._names, scopes, display_name, expire_time, tenant, request_id)
        return self._transport.unary(call)

    def get(self, api_key: str, *, tenant: str | None = None) -> ApiKey:
        """Gets a key by ID or name (`apiKeys/{id}` for platform keys)."""
        return self._transport.unary(_get(self._names, api_key, tenant))

    def list(
        self,
        *,
        tenant: str | None = None,
        platform: bool = False,
        show_revoked: bool = False,
        page_size: int = 0,
    ) -> SyncPager[ApiKey]:
        """Lists keys, newest first.

        Args:
            tenant: Whose keys; default: the client's tenant.
            platform: List platform keys instead of a tenant's.
            show_revoked: Also list revoked keys.
            page_size: Items per page; 0 is the server default (50).
        """
        pages = _list_page(self._names, tenant, platform, show_revoked, page_size)
        return SyncPager(self._transport, pages)

    def revoke(
        self, api_key: str, *, tenant: str | None = None, request_id: str | None = None
    ) -> ApiKey:
        """Revokes a key at once; calls with it then fail with `UnauthenticatedError`."""
        return self._transport.unary(_revoke(self._names, api_key, tenant, request_id))


class AsyncKeys(AsyncResource):
    """The async form of `Keys`."""

    async def create(
        self,
        *,
        scopes: Iterable[Scope | str],
        display_name: str = "",
        expire_time: datetime | None = None,
        tenant: str | None = None,
        request_id: str | None = None,
    ) -> CreatedApiKey:
        """Creates a key and returns its secret. See `Keys.create`."""
        call = _create(self._names, scopes, display_name, expire_time, tenant, request_id)
        return await self._transport.unary(call)

    async def get(self, api_key: str, *, tenant: str | None = None) -> ApiKey:
        """Gets a key. See `Keys.get`."""
        return await self._transport.unary(_get(self._names, api_key, tenant))

    def list(
        self,
        *,
        tenant: str | None = None,
        platform: bool = False,
        show_revoked: bool = False,
        page_size: int = 0,
    ) -> AsyncPager[ApiKey]:
        """Lists keys; iterate with `async for`. See `Keys.list`."""
        pages = _list_page(self._names, tenant, platform, show_revoked, page_size)
        return AsyncPager(self._transport, pages)

    async def revoke(
        self, api_key: str, *, tenant: str | None = None, request_id: str | None = None
    ) -> ApiKey:
        """Revokes a key. See `Keys.revoke`."""
        return await self._transport.unary(_revoke(self._names, api_key, tenant, request_id))
