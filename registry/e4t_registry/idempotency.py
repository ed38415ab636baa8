"""Durable request-id deduplication: the gateway's memory of successful mutating calls.

A record keys (scope, method, request_id) to the request's fingerprint and the serialized
response, so a retry that reaches a restarted or another gateway answers the first response
instead of doing the work again. Scope is the tenant uuid as text, or `PLATFORM_SCOPE`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from e4t_registry.errors import AlreadyExistsError
from e4t_registry.models import IdempotencyRecord, utcnow
from e4t_registry.repositories.base import insert_or_raise
from e4t_registry.uow import UnitOfWork


class IdempotencyService:
    """Find, remember and prune idempotency records; each call is one short transaction."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.clock = clock

    def find(self, scope: str, method: str, request_id: str) -> IdempotencyRecord | None:
        """The record for this call, or None."""
        with UnitOfWork(self.engine, read_only=True) as uow:
            return _find(uow.session, scope, method, request_id)

    def remember(
        self, scope: str, method: str, request_id: str, fingerprint: str, response: bytes
    ) -> IdempotencyRecord:
        """Store the call's outcome; if a concurrent caller stored one first, return that one."""
        record = IdempotencyRecord(
            scope=scope,
            method=method,
            request_id=request_id,
            fingerprint=fingerprint,
            response=response,
            created_at=self.clock(),
        )
        with UnitOfWork(self.engine) as uow:
            try:
                insert_or_raise(uow.session, record, "request id already remembered")
            except AlreadyExistsError:
                existing = _find(uow.session, scope, method, request_id)
                if existing is None:
                    raise
                return existing
            uow.commit()
        return record

    def prune(self, older_than: datetime) -> int:
        """Delete records created before `older_than`; returns how many."""
        statement = sa.delete(IdempotencyRecord).where(
            col(IdempotencyRecord.created_at) < older_than
        )
        with UnitOfWork(self.engine) as uow:
            deleted = uow.session.connection().execute(statement).rowcount
            uow.commit()
        return int(deleted)


def _find(session: Session, scope: str, method: str, request_id: str) -> IdempotencyRecord | None:
    statement = select(IdempotencyRecord).where(
        IdempotencyRecord.scope == scope,
        IdempotencyRecord.method == method,
        IdempotencyRecord.request_id == request_id,
    )
    return session.exec(statement).first()
