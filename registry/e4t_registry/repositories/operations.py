"""Long-running operations: idempotent creation, progress, completion and stale detection."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from e4t_registry.errors import (
    AlreadyExistsError,
    FailedPreconditionError,
    IdempotencyConflictError,
    InvalidArgumentError,
)
from e4t_registry.models import Operation, OperationStatus, utcnow
from e4t_registry.paging import Page
from e4t_registry.repositories.base import TenantScopedRepository, insert_or_raise


class OperationRepository(TenantScopedRepository[Operation]):
    model = Operation
    resource = "operation"

    def find_by_request_id(self, tenant_id: uuid.UUID, request_id: str) -> Operation | None:
        statement = self._select(tenant_id).where(Operation.request_id == request_id)
        return self.session.exec(statement).first()

    def create(
        self,
        tenant_id: uuid.UUID,
        *,
        kind: str,
        target: str = "",
        request_id: str | None = None,
        progress_total: int = 0,
        created_by: str = "",
    ) -> tuple[Operation, bool]:
        """Create a PENDING operation, or return the one already made for `request_id`.

        Returns (operation, created). Reusing a request id for a different kind or target
        raises IdempotencyConflictError.
        """
        if request_id is not None:
            existing = self.find_by_request_id(tenant_id, request_id)
            if existing is not None:
                return self._same_request(existing, kind, target), False
        operation = Operation(
            tenant_id=tenant_id,
            kind=kind,
            target=target,
            request_id=request_id,
            progress_total=progress_total,
            created_by=created_by,
        )
        try:
            insert_or_raise(self.session, operation, "operation request id already used")
        except AlreadyExistsError:
            # A concurrent call with the same request id won the race: answer with its row.
            assert request_id is not None
            existing = self.find_by_request_id(tenant_id, request_id)
            if existing is None:
                raise
            return self._same_request(existing, kind, target), False
        return operation, True

    @staticmethod
    def _same_request(existing: Operation, kind: str, target: str) -> Operation:
        if existing.kind != kind or existing.target != target:
            raise IdempotencyConflictError(
                f"request id {existing.request_id!r} was already used for another request"
            )
        return existing

    def _live(self, tenant_id: uuid.UUID, operation_id: uuid.UUID) -> Operation:
        operation = self.get(tenant_id, operation_id, for_update=True)
        if operation.status.is_terminal:
            raise FailedPreconditionError(f"operation {operation_id} is already {operation.status}")
        return operation

    def _save(self, operation: Operation, now: datetime) -> Operation:
        operation.updated_at = now
        self.session.add(operation)
        self.session.flush()
        return operation

    def start(self, tenant_id: uuid.UUID, operation_id: uuid.UUID) -> Operation:
        """PENDING → RUNNING; the heartbeat starts now."""
        operation = self._live(tenant_id, operation_id)
        now = utcnow()
        operation.status = OperationStatus.RUNNING
        operation.heartbeat_at = now
        return self._save(operation, now)

    def report_progress(
        self, tenant_id: uuid.UUID, operation_id: uuid.UUID, *, done: int, total: int | None = None
    ) -> Operation:
        """Record progress; it also counts as a heartbeat."""
        operation = self._live(tenant_id, operation_id)
        total = operation.progress_total if total is None else total
        if done < 0 or total < 0 or (total and done > total):
            raise InvalidArgumentError(f"progress {done}/{total} is out of range")
        now = utcnow()
        operation.progress_done, operation.progress_total = done, total
        operation.heartbeat_at = now
        return self._save(operation, now)

    def finish(
        self,
        tenant_id: uuid.UUID,
        operation_id: uuid.UUID,
        *,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
        cancelled: bool = False,
    ) -> Operation:
        """End the operation: SUCCEEDED with `result`, FAILED with `error`, or CANCELLED."""
        if result is not None and error is not None:
            raise InvalidArgumentError("an operation ends with a result or an error, not both")
        operation = self._live(tenant_id, operation_id)
        now = utcnow()
        if cancelled:
            operation.status = OperationStatus.CANCELLED
        elif error is not None:
            operation.status = OperationStatus.FAILED
        else:
            operation.status = OperationStatus.SUCCEEDED
            if operation.progress_total:
                operation.progress_done = operation.progress_total
        operation.result, operation.error = result, error
        operation.finished_at = now
        return self._save(operation, now)

    def cancel_unfinished(self, tenant_id: uuid.UUID, now: datetime) -> list[Operation]:
        """End every PENDING or RUNNING operation of the tenant as CANCELLED."""
        statement = self._select(tenant_id).where(
            col(Operation.status).in_([OperationStatus.PENDING, OperationStatus.RUNNING])
        )
        unfinished = list(self.session.exec(statement.with_for_update()))
        for operation in unfinished:
            operation.status = OperationStatus.CANCELLED
            operation.finished_at = now
            self._save(operation, now)
        return unfinished

    def fail_stale(self, *, now: datetime, max_silence: timedelta) -> list[Operation]:
        """Fail RUNNING operations (of every tenant) whose heartbeat is older than `max_silence`,
        and PENDING ones created longer ago than that (their job never started).

        A system job: the worker that owned them is presumed dead.
        """
        cutoff = now - max_silence
        statement = (
            select(Operation)
            .where(
                sa.or_(
                    sa.and_(
                        col(Operation.status) == OperationStatus.RUNNING,
                        col(Operation.heartbeat_at) < cutoff,
                    ),
                    sa.and_(
                        col(Operation.status) == OperationStatus.PENDING,
                        col(Operation.created_at) < cutoff,
                    ),
                )
            )
            .with_for_update(skip_locked=True)
        )
        stale = list(self.session.exec(statement))
        for operation in stale:
            operation.status = OperationStatus.FAILED
            operation.error = {
                "code": "ABORTED",
                "message": (
                    f"no heartbeat since {operation.heartbeat_at or operation.created_at}; "
                    "worker presumed lost"
                ),
            }
            operation.finished_at = now
            self._save(operation, now)
        return stale

    def list(
        self,
        tenant_id: uuid.UUID,
        *,
        kind: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Page[Operation]:
        statement = self._select(tenant_id)
        if kind is not None:
            statement = statement.where(Operation.kind == kind)
        return self._page(
            tenant_id,
            statement,
            filters=f"kind={kind}",
            page_size=page_size,
            page_token=page_token,
        )
