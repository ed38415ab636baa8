"""Operations service: each call is one short transaction over the operation repository."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from e4t_registry.models import Operation, utcnow
from e4t_registry.paging import Page
from e4t_registry.uow import UnitOfWork

DEFAULT_MAX_SILENCE = timedelta(minutes=5)


class OperationService:
    """Create (idempotently by request id), advance and finish long-running operations."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.clock = clock

    def create(
        self,
        tenant_id: uuid.UUID,
        *,
        kind: str,
        target: str = "",
        request_id: str | None = None,
        progress_total: int = 0,
        actor: str,
    ) -> tuple[Operation, bool]:
        """(operation, created): a retried request id returns the first call's operation."""
        with UnitOfWork(self.engine) as uow:
            operation, created = uow.operations.create(
                tenant_id,
                kind=kind,
                target=target,
                request_id=request_id,
                progress_total=progress_total,
                created_by=actor,
            )
            uow.commit()
        return operation, created

    def get(self, tenant_id: uuid.UUID, operation_id: uuid.UUID) -> Operation:
        with UnitOfWork(self.engine, read_only=True) as uow:
            return uow.operations.get(tenant_id, operation_id)

    def list(
        self,
        tenant_id: uuid.UUID,
        *,
        kind: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> Page[Operation]:
        with UnitOfWork(self.engine, read_only=True) as uow:
            return uow.operations.list(
                tenant_id, kind=kind, page_size=page_size, page_token=page_token
            )

    def start(self, tenant_id: uuid.UUID, operation_id: uuid.UUID) -> Operation:
        with UnitOfWork(self.engine) as uow:
            operation = uow.operations.start(tenant_id, operation_id)
            uow.commit()
        return operation

    def report_progress(
        self, tenant_id: uuid.UUID, operation_id: uuid.UUID, *, done: int, total: int | None = None
    ) -> Operation:
        with UnitOfWork(self.engine) as uow:
            operation = uow.operations.report_progress(
                tenant_id, operation_id, done=done, total=total
            )
            uow.commit()
        return operation

    def finish(
        self,
        tenant_id: uuid.UUID,
        operation_id: uuid.UUID,
        *,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
        cancelled: bool = False,
    ) -> Operation:
        with UnitOfWork(self.engine) as uow:
            operation = uow.operations.finish(
                tenant_id, operation_id, result=result, error=error, cancelled=cancelled
            )
            uow.commit()
        return operation

    def fail_stale(self, *, max_silence: timedelta = DEFAULT_MAX_SILENCE) -> Sequence[Operation]:
        """Fail RUNNING operations (all tenants) silent for longer than `max_silence`."""
        with UnitOfWork(self.engine) as uow:
            stale = uow.operations.fail_stale(now=self.clock(), max_silence=max_silence)
            uow.commit()
        return stale
