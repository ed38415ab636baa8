"""Durable request-id deduplication: the gateway's memory of successful mutating calls.

A record keys (scope, method, request_id) to the request's fingerprint and the serialized
response, so a retry that reaches a restarted or another gateway answers the first response
instead of doing the work again. Scope is the tenant uuid as text, or `PLATFORM_SCOPE`.

Responses can hold secrets (a new API key's secret, shown once) and personal data (a subject's
external ID), so the database never sees them, nor the request id: a record is found by a
sha256 of the request id and its response is sealed with AES-GCM under a key derived from the
request id. Only a caller who holds the request id (the SDK makes a random UUID4 per call) can
find and read it; a database reader gets neither secrets nor identifiers.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from e4t_registry.errors import AlreadyExistsError
from e4t_registry.models import IdempotencyRecord, utcnow
from e4t_registry.repositories.base import insert_or_raise
from e4t_registry.uow import UnitOfWork

NONCE_BYTES = 12


@dataclass(frozen=True)
class RememberedCall:
    """A remembered call's outcome, readable because the caller gave its request id."""

    id: uuid.UUID
    fingerprint: str
    response: bytes
    created_at: datetime


class IdempotencyService:
    """Find, remember and prune idempotency records; each call is one short transaction."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.clock = clock

    def find(self, scope: str, method: str, request_id: str) -> RememberedCall | None:
        """The remembered outcome of this call, or None."""
        with UnitOfWork(self.engine, read_only=True) as uow:
            record = _find(uow.session, scope, method, request_id)
        return None if record is None else _opened(record, scope, method, request_id)

    def remember(
        self, scope: str, method: str, request_id: str, fingerprint: str, response: bytes
    ) -> RememberedCall:
        """Store the call's outcome; if a concurrent caller stored one first, return that one."""
        record = IdempotencyRecord(
            scope=scope,
            method=method,
            request_id=_lookup_key(request_id),
            fingerprint=fingerprint,
            response=_seal(response, scope, method, request_id),
            created_at=self.clock(),
        )
        with UnitOfWork(self.engine) as uow:
            try:
                insert_or_raise(uow.session, record, "request id already remembered")
            except AlreadyExistsError:
                existing = _find(uow.session, scope, method, request_id)
                if existing is None:
                    raise
                return _opened(existing, scope, method, request_id)
            uow.commit()
        return RememberedCall(record.id, fingerprint, response, record.created_at)

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
        IdempotencyRecord.request_id == _lookup_key(request_id),
    )
    return session.exec(statement).first()


def _lookup_key(request_id: str) -> str:
    return hashlib.sha256(b"e4t-idempotency-lookup\0" + request_id.encode()).hexdigest()


def _cipher(request_id: str) -> AESGCM:
    return AESGCM(hashlib.sha256(b"e4t-idempotency-seal\0" + request_id.encode()).digest())


def _seal(response: bytes, scope: str, method: str, request_id: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    bound_to = f"{scope}\0{method}".encode()  # a sealed response opens only for its own call
    return nonce + _cipher(request_id).encrypt(nonce, response, bound_to)


def _opened(record: IdempotencyRecord, scope: str, method: str, request_id: str) -> RememberedCall:
    nonce, sealed = record.response[:NONCE_BYTES], record.response[NONCE_BYTES:]
    response = _cipher(request_id).decrypt(nonce, sealed, f"{scope}\0{method}".encode())
    return RememberedCall(record.id, record.fingerprint, response, record.created_at)
