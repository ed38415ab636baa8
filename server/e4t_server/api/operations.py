"""OperationService and the Operation message (state, progress, result or error)."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import grpc

from e4t.v1 import common_pb2, operation_pb2, operation_service_pb2, operation_service_pb2_grpc
from e4t_registry.errors import NotFoundError
from e4t_registry.models import Concept, ConceptStatus, Operation, OperationStatus
from e4t_registry.registry import Registry
from e4t_registry.uow import UnitOfWork
from e4t_server.api import convert, limits, names
from e4t_server.api.errors import ApiError, not_found
from e4t_server.api.scoping import TenantScope

CREATE_CONCEPT = "CREATE_CONCEPT"
REPERSONALIZE_CONCEPT = "REPERSONALIZE_CONCEPT"
_WAIT_POLL_SECONDS = 0.2
_STATE = {
    OperationStatus.PENDING: operation_pb2.Operation.PENDING,
    OperationStatus.RUNNING: operation_pb2.Operation.RUNNING,
    OperationStatus.SUCCEEDED: operation_pb2.Operation.SUCCEEDED,
    OperationStatus.FAILED: operation_pb2.Operation.FAILED,
    OperationStatus.CANCELLED: operation_pb2.Operation.CANCELLED,
}
# Errors recorded by the registry itself (stale heartbeats) carry a code, not a reason.
_CODE_REASONS = {"ABORTED": "INTERNAL_ERROR"}


class OperationViews:
    """Operation rows → messages; jobs tell which operations have a cancel request."""

    def __init__(self, registry: Registry, cancel_requested: set[uuid.UUID]) -> None:
        self.registry = registry
        self.cancel_requested = cancel_requested

    def message(self, row: Operation, tenant: str) -> operation_pb2.Operation:
        message = operation_pb2.Operation(
            name=names.operation_name(tenant, row.id),
            kind=operation_pb2.Operation.Kind.Value(row.kind),
            target=row.target,
            state=_STATE[row.status],
            done=row.status.is_terminal,
            progress=operation_pb2.Operation.Progress(
                steps_done=row.progress_done,
                steps_total=row.progress_total,
                message=row.status.value.lower(),
            ),
            cancel_requested=row.id in self.cancel_requested,
            request_id=row.request_id or "",
            creator=row.created_by,
            create_time=convert.timestamp(row.created_at),
            update_time=convert.timestamp(row.updated_at),
            end_time=convert.timestamp(row.finished_at),
        )
        if row.status == OperationStatus.SUCCEEDED and row.result:
            if row.kind == REPERSONALIZE_CONCEPT:
                version = self._concept_version(row, tenant)
                if version is not None:
                    message.concept_version.CopyFrom(version)
            else:
                concept = self._concept(row, tenant)
                if concept is not None:
                    message.concept.CopyFrom(concept)
        elif row.status in (OperationStatus.FAILED, OperationStatus.CANCELLED):
            message.error.CopyFrom(_error_status(row))
        return message

    def _concept(self, row: Operation, tenant: str) -> Any:
        concept_id = uuid.UUID(row.target.rsplit("/", 1)[-1])
        with UnitOfWork(self.registry.engine) as uow:
            concept: Concept | None = uow.concepts.find(row.tenant_id, concept_id)
            if concept is None or concept.status == ConceptStatus.DELETED:
                return None
            domain = uow.domains.get(row.tenant_id, concept.domain_id)
            subject = uow.subjects.find(row.tenant_id, concept.subject_id)
            latest = uow.concept_versions.latest(row.tenant_id, concept.id)
        return convert.concept(
            concept,
            tenant_name=tenant,
            domain_name=domain.name,
            subject_external_id=subject.external_id if subject else "",
            latest_version=None if latest is None else latest.version,
        )

    def _concept_version(self, row: Operation, tenant: str) -> Any:
        """The version a REPERSONALIZE_CONCEPT operation made (None once it was erased)."""
        assert row.result is not None
        concept_id = uuid.UUID(row.target.rsplit("/", 1)[-1])
        number = int(row.result.get("concept_version", 0))
        with UnitOfWork(self.registry.engine) as uow:
            versions = uow.concept_versions.list_for_concepts(row.tenant_id, [concept_id])
            version = next((v for v in versions if v.version == number), None)
            if version is None:
                return None
            domain_version = uow.domain_versions.get(row.tenant_id, version.domain_model_version_id)
            domain = uow.domains.get(row.tenant_id, domain_version.domain_id)
        return convert.concept_version(
            version,
            concept_resource=names.concept_name(tenant, concept_id),
            domain_version_resource=(
                f"{names.domain_name(tenant, domain.name)}/versions/{domain_version.version}"
            ),
        )


def _error_status(row: Operation) -> common_pb2.Status:
    if row.status == OperationStatus.CANCELLED:
        error = ApiError(grpc.StatusCode.CANCELLED, "OPERATION_CANCELLED", "cancelled on request")
    else:
        details = row.error or {}
        reason = details.get("reason") or _CODE_REASONS.get(
            details.get("code", ""), "TUNING_FAILED"
        )
        error = ApiError(grpc.StatusCode.INTERNAL, reason, str(details.get("message", "failed")))
    status = error.to_status(row.request_id or "")
    return status


class OperationServicer(operation_service_pb2_grpc.OperationServiceServicer):
    def __init__(
        self, registry: Registry, scope: TenantScope, views: OperationViews, jobs: Any
    ) -> None:
        self.registry = registry
        self.scope = scope
        self.views = views
        self.jobs = jobs

    def _get(self, name: str) -> tuple[str, Operation]:
        parts = names.parse("operation", name, "name")
        tenant_id = self.scope.tenant_id(parts["tenant"], name)
        try:
            row = self.registry.operations.get(tenant_id, names.as_uuid(parts["operation"]))
        except NotFoundError:
            raise not_found(name) from None
        return parts["tenant"], row

    def _message(self, name: str) -> operation_pb2.Operation:
        tenant, row = self._get(name)
        return self.views.message(row, tenant)

    async def GetOperation(
        self, request: operation_service_pb2.GetOperationRequest, context: grpc.aio.ServicerContext
    ) -> operation_pb2.Operation:
        return await asyncio.to_thread(self._message, request.name)

    async def ListOperations(
        self,
        request: operation_service_pb2.ListOperationsRequest,
        context: grpc.aio.ServicerContext,
    ) -> operation_service_pb2.ListOperationsResponse:
        limits.check_page_size(request.page_size)
        tenant = names.parse("tenant", request.parent, "parent")["tenant"]

        def list_operations() -> operation_service_pb2.ListOperationsResponse:
            tenant_id = self.scope.tenant_id(tenant, request.parent)
            page = self.registry.operations.list(
                tenant_id,
                kind=operation_pb2.Operation.Kind.Name(request.kind) if request.kind else None,
                page_size=request.page_size,
                page_token=request.page_token or None,
            )
            rows = [
                row
                for row in page.items
                if (not request.target or row.target == request.target)
                and (not request.only_running or not row.status.is_terminal)
            ]
            return operation_service_pb2.ListOperationsResponse(
                operations=[self.views.message(row, tenant) for row in rows],
                next_page_token=page.next_page_token or "",
            )

        return await asyncio.to_thread(list_operations)

    async def WaitOperation(
        self,
        request: operation_service_pb2.WaitOperationRequest,
        context: grpc.aio.ServicerContext,
    ) -> operation_pb2.Operation:
        timeout = limits.WAIT_TIMEOUT_SECONDS[0]
        if request.HasField("timeout"):
            timeout = request.timeout.ToTimedelta().total_seconds()
            limits.in_range(timeout, (0.0, limits.WAIT_TIMEOUT_SECONDS[1]), "timeout")
        deadline = time.monotonic() + timeout
        while True:
            message = await asyncio.to_thread(self._message, request.name)
            if message.done or time.monotonic() >= deadline:
                return message
            await asyncio.sleep(_WAIT_POLL_SECONDS)

    async def CancelOperation(
        self,
        request: operation_service_pb2.CancelOperationRequest,
        context: grpc.aio.ServicerContext,
    ) -> operation_pb2.Operation:
        _, row = await asyncio.to_thread(self._get, request.name)
        if not row.status.is_terminal:
            self.jobs.cancel(row.id)
        return await asyncio.to_thread(self._message, request.name)
