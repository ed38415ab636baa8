"""`client.audit`: list, export and verify the hash-chained audit log."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime

from e4t._calls import Page, PageCall, Unary, UnaryStream, rpc
from e4t._names import Names
from e4t.pagination import AsyncPager, SyncPager
from e4t.resources._base import AsyncResource, SyncResource
from e4t.types import AuditEvent, AuditVerification
from e4t.v1 import audit_service_pb2

_SERVICE = "AuditService"


def _chain(names: Names, tenant: str | None, platform: bool) -> str:
    """The `parent` of a chain: empty for the platform chain, else `tenants/{tenant}`."""
    return "" if platform else names.tenant(tenant)


def _list_pages(
    parent: str,
    start_time: datetime | None,
    end_time: datetime | None,
    action: str,
    resource: str,
    actor: str,
    page_size: int,
) -> PageCall[AuditEvent]:
    def page(token: str) -> Unary[Page[AuditEvent]]:
        request = audit_service_pb2.ListAuditEventsRequest(
            parent=parent,
            page_size=page_size,
            page_token=token,
            action=action,
            resource=resource,
            actor=actor,
        )
        if start_time is not None:
            request.start_time.FromDatetime(start_time)
        if end_time is not None:
            request.end_time.FromDatetime(end_time)
        return Unary(
            rpc(audit_service_pb2, _SERVICE, "ListAuditEvents"),
            request,
            lambda r: Page([AuditEvent.from_proto(e) for e in r.audit_events], r.next_page_token),
        )

    return page


def _export(
    parent: str, start_time: datetime | None, end_time: datetime | None
) -> UnaryStream[bytes]:
    request = audit_service_pb2.ExportAuditEventsRequest(parent=parent)
    if start_time is not None:
        request.start_time.FromDatetime(start_time)
    if end_time is not None:
        request.end_time.FromDatetime(end_time)

    def data(response: audit_service_pb2.ExportAuditEventsResponse) -> bytes:
        return response.data

    return UnaryStream(rpc(audit_service_pb2, _SERVICE, "ExportAuditEvents"), request, data)


def _verify(parent: str) -> Unary[AuditVerification]:
    request = audit_service_pb2.VerifyAuditChainRequest(parent=parent)
    method = rpc(audit_service_pb2, _SERVICE, "VerifyAuditChain")
    return Unary(method, request, AuditVerification.from_proto)


class Audit(SyncResource):
    """The audit log: a tenant's chain (TENANT_ADMIN) or the platform chain (PLATFORM_ADMIN)."""

    def list(
        self,
        *,
        tenant: str | None = None,
        platform: bool = False,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        action: str = "",
        resource: str = "",
        actor: str = "",
        page_size: int = 0,
    ) -> SyncPager[AuditEvent]:
        """Lists audit events in chain order (oldest first); the filters combine with AND.

        Args:
            tenant: Whose chain; default: the client's tenant.
            platform: Read the platform chain instead.
            start_time: Only events at or after this time.
            end_time: Only events before this time.
            action: Only this action, for example `concepts.create`.
            resource: Only events on this resource or resources under it.
            actor: Only events by this API key name.
            page_size: Items per page; 0 is the server default (50).
        """
        parent = _chain(self._names, tenant, platform)
        pages = _list_pages(parent, start_time, end_time, action, resource, actor, page_size)
        return SyncPager(self._transport, pages)

    def export(
        self,
        *,
        tenant: str | None = None,
        platform: bool = False,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
    ) -> Iterator[bytes]:
        """Streams the chain as JSON Lines: yields byte chunks that each hold whole lines."""
        parent = _chain(self._names, tenant, platform)
        return self._transport.unary_stream(_export(parent, start_time, end_time))

    def verify(self, *, tenant: str | None = None, platform: bool = False) -> AuditVerification:
        """Recomputes the chain and reports the first broken event, if any."""
        return self._transport.unary(_verify(_chain(self._names, tenant, platform)))


class AsyncAudit(AsyncResource):
    """The async form of `Audit`."""

    def list(
        self,
        *,
        tenant: str | None = None,
        platform: bool = False,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        action: str = "",
        resource: str = "",
        actor: str = "",
        page_size: int = 0,
    ) -> AsyncPager[AuditEvent]:
        """Lists audit events; iterate with `async for`. See `Audit.list`."""
        parent = _chain(self._names, tenant, platform)
        pages = _list_pages(parent, start_time, end_time, action, resource, actor, page_size)
        return AsyncPager(self._transport, pages)

    def export(
        self,
        *,
        tenant: str | None = None,
        platform: bool = False,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
    ) -> AsyncIterator[bytes]:
        """Streams the chain as JSON Lines; iterate with `async for`. See `Audit.export`."""
        parent = _chain(self._names, tenant, platform)
        return self._transport.unary_stream(_export(parent, start_time, end_time))

    async def verify(
        self, *, tenant: str | None = None, platform: bool = False
    ) -> AuditVerification:
        """Recomputes the chain. See `Audit.verify`."""
        return await self._transport.unary(_verify(_chain(self._names, tenant, platform)))
