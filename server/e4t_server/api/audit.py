"""AuditService: list, export and verify the audit hash chain.

A tenant's view holds its own events; the platform's (empty `parent`) holds the events that
belong to no tenant. Verification always recomputes the one global chain, because every event's
hash links to the one before it whoever it belongs to.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC
from typing import Any

import grpc
from sqlmodel import Session, col, select

from e4t.v1 import audit_service_pb2, audit_service_pb2_grpc
from e4t_registry.audit import iter_events
from e4t_registry.models import AuditEvent
from e4t_registry.paging import effective_page_size
from e4t_registry.registry import Registry
from e4t_server.api import convert, limits, names
from e4t_server.api.context import current_principal
from e4t_server.api.errors import invalid_field, not_found
from e4t_server.api.scoping import TenantScope

EXPORT_EVENTS_PER_MESSAGE = 200


class AuditServicer(audit_service_pb2_grpc.AuditServiceServicer):
    def __init__(self, registry: Registry, scope: TenantScope) -> None:
        self.registry = registry
        self.scope = scope

    def _owner(self, parent: str) -> tuple[uuid.UUID | None, str | None]:
        if not parent:
            if current_principal().tenant_id is not None:
                raise not_found("auditEvents")
            return None, None
        tenant = names.parse("tenant", parent, "parent")["tenant"]
        return self.scope.tenant_id(tenant, parent), tenant

    async def ListAuditEvents(
        self, request: audit_service_pb2.ListAuditEventsRequest, context: grpc.aio.ServicerContext
    ) -> audit_service_pb2.ListAuditEventsResponse:
        limits.check_page_size(request.page_size)
        return await asyncio.to_thread(self._list, request)

    def _list(
        self, request: audit_service_pb2.ListAuditEventsRequest
    ) -> audit_service_pb2.ListAuditEventsResponse:
        owner, tenant = self._owner(request.parent)
        token_scope = f"audit:{owner}"
        after = _decode_token(request.page_token, token_scope) if request.page_token else 0
        size = effective_page_size(request.page_size)
        statement = select(AuditEvent).where(AuditEvent.seq > after)
        tenant_column = col(AuditEvent.tenant_id)
        statement = statement.where(
            tenant_column.is_(None) if owner is None else tenant_column == owner
        )
        if request.action:
            statement = statement.where(AuditEvent.action == request.action)
        if request.resource:
            statement = statement.where(AuditEvent.resource == request.resource)
        if request.actor:
            statement = statement.where(AuditEvent.actor == request.actor)
        if request.HasField("start_time"):
            statement = statement.where(
                col(AuditEvent.time) >= request.start_time.ToDatetime(tzinfo=UTC)
            )
        if request.HasField("end_time"):
            statement = statement.where(
                col(AuditEvent.time) < request.end_time.ToDatetime(tzinfo=UTC)
            )
        with Session(self.registry.engine) as session:
            rows = list(session.exec(statement.order_by(col(AuditEvent.seq)).limit(size + 1)))
        more = len(rows) > size
        rows = rows[:size]
        return audit_service_pb2.ListAuditEventsResponse(
            audit_events=[convert.audit_event(row, tenant) for row in rows],
            next_page_token=_encode_token(token_scope, rows[-1].seq) if more else "",
        )

    async def ExportAuditEvents(
        self,
        request: audit_service_pb2.ExportAuditEventsRequest,
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[audit_service_pb2.ExportAuditEventsResponse]:
        owner, _ = await asyncio.to_thread(self._owner, request.parent)
        start = (
            request.start_time.ToDatetime(tzinfo=UTC) if request.HasField("start_time") else None
        )
        end = request.end_time.ToDatetime(tzinfo=UTC) if request.HasField("end_time") else None
        batches = self._batches(owner, start, end)
        while True:
            batch = await asyncio.to_thread(next, batches, None)
            if batch is None:
                return
            yield audit_service_pb2.ExportAuditEventsResponse(
                data="".join(batch).encode("utf-8"), event_count=len(batch)
            )

    def _batches(self, owner: uuid.UUID | None, start: Any, end: Any) -> Iterator[list[str]]:
        batch: list[str] = []
        for record in iter_events(self.registry.engine, tenant_id=owner):
            if owner is None and record["tenant_id"] is not None:
                continue
            event_time = convert.parse_time(record["time"])
            if (start and event_time < start) or (end and event_time >= end):
                continue
            batch.append(json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n")
            if len(batch) == EXPORT_EVENTS_PER_MESSAGE:
                yield batch
                batch = []
        if batch:
            yield batch

    async def VerifyAuditChain(
        self, request: audit_service_pb2.VerifyAuditChainRequest, context: grpc.aio.ServicerContext
    ) -> audit_service_pb2.VerifyAuditChainResponse:
        await asyncio.to_thread(self._owner, request.parent)
        verdict = await asyncio.to_thread(self.registry.verify_audit)
        response = audit_service_pb2.VerifyAuditChainResponse(
            ok=verdict.ok, events_checked=verdict.events_checked, message=verdict.reason or ""
        )
        if not verdict.ok:
            reason = verdict.reason or ""
            response.break_reason = (
                audit_service_pb2.VerifyAuditChainResponse.SEQUENCE_GAP
                if "seq" in reason
                else audit_service_pb2.VerifyAuditChainResponse.PREVIOUS_HASH_MISMATCH
                if "prev_hash" in reason
                else audit_service_pb2.VerifyAuditChainResponse.HASH_MISMATCH
            )
            if verdict.broken_id:
                response.first_broken_event = f"auditEvents/{verdict.broken_id}"
        return response


def _encode_token(scope: str, seq: int) -> str:
    raw = json.dumps({"s": scope, "q": seq}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str, scope: str) -> int:
    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if payload["s"] != scope:
            raise ValueError("foreign token")
        return int(payload["q"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise invalid_field("page_token", "malformed or foreign", "INVALID_PAGE_TOKEN") from None
