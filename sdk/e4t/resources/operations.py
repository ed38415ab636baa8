"""`client.operations`: look up, list, wait for and cancel long-running operations."""

from __future__ import annotations

from typing import Any

from e4t._operation_calls import cancel_call, get_call, list_pages
from e4t.operation import AsyncOperation, Operation
from e4t.pagination import AsyncPager, SyncPager
from e4t.resources._base import AsyncResource, SyncResource
from e4t.types import OperationKind, OperationSnapshot


class Operations(SyncResource):
    """The tenant's long-running operations (APP, MLOPS or TENANT_ADMIN keys)."""

    def get(self, operation: str) -> Operation[Any]:
        """A handle on an operation, by ID or name, holding its latest state."""
        name = self._names.under_tenant(operation, "operations")
        return Operation(self._transport, self._transport.unary(get_call(name)))

    def list(
        self,
        *,
        kind: OperationKind | str | None = None,
        target: str = "",
        only_running: bool = False,
        tenant: str | None = None,
        page_size: int = 0,
    ) -> SyncPager[OperationSnapshot]:
        """Lists operations, newest first.

        Args:
            kind: Only this kind (`CREATE_CONCEPT`, `REPERSONALIZE_CONCEPT`).
            target: Only operations on this resource name.
            only_running: Only operations not done yet.
            tenant: Default: the client's tenant.
            page_size: Items per page; 0 is the server default (50).
        """
        pages = list_pages(self._names.tenant(tenant), kind, target, only_running, page_size)
        return SyncPager(self._transport, pages)

    def cancel(self, operation: str) -> OperationSnapshot:
        """Asks an operation to stop; it ends CANCELLED unless it finishes first."""
        name = self._names.under_tenant(operation, "operations")
        return self._transport.unary(cancel_call(name))


class AsyncOperations(AsyncResource):
    """The async form of `Operations`."""

    async def get(self, operation: str) -> AsyncOperation[Any]:
        """A handle on an operation. See `Operations.get`."""
        name = self._names.under_tenant(operation, "operations")
        return AsyncOperation(self._transport, await self._transport.unary(get_call(name)))

    def list(
        self,
        *,
        kind: OperationKind | str | None = None,
        target: str = "",
        only_running: bool = False,
        tenant: str | None = None,
        page_size: int = 0,
    ) -> AsyncPager[OperationSnapshot]:
        """Lists operations; iterate with `async for`. See `Operations.list`."""
        pages = list_pages(self._names.tenant(tenant), kind, target, only_running, page_size)
        return AsyncPager(self._transport, pages)

    async def cancel(self, operation: str) -> OperationSnapshot:
        """Asks an operation to stop. See `Operations.cancel`."""
        name = self._names.under_tenant(operation, "operations")
        return await self._transport.unary(cancel_call(name))
